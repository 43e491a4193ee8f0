// A client of octez's socket signer protocol, written from octez's own
// encodings (not from tzsigner's code) so the tests check tzsigner against
// them. Each layout names the octez file and value it comes from.
//
// Framing (src/lib_base/unix/socket.ml, send / recv): a 2-byte big-endian
// payload length, then the payload; payloads are below 1 lsl 16 bytes.
// Payloads are data-encoding binary values (data-encoding/src/binary_writer.ml):
// a union is a uint8 tag then its case; `constant` is empty; `bytes` and
// `list` are a 4-byte big-endian length then the bytes; Variable.bytes runs to
// the end; `opt` of a Variable encoding has no marker, `opt` of a fixed one has
// a bool marker (0xff present, 0x00 absent); bool is 0xff/0x00.

import net from 'node:net';
import assert from 'node:assert/strict';
import { b58Encode, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';
import { pkhBinary } from './watermark.mjs';

// Request.encoding's tags (src/lib_signer_services/signer_messages.ml, module Request).
export const REQ = {
	sign: 0,
	publicKey: 1,
	authorizedKeys: 2,
	deterministicNonce: 3,
	deterministicNonceHash: 4,
	supportsDeterministicNonces: 5,
	knownKeys: 6,
	blsProvePossession: 7,
};

const u32 = (n) => {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(n);
	return b;
};

export function frame(payload) {
	assert.ok(payload.length < 65536);
	const h = Buffer.alloc(2);
	h.writeUInt16BE(payload.length);
	return Buffer.concat([h, payload]);
}

// signer_messages.ml pkh_encoding (the Sign request's pkh): tz1..tz3 are
// Public_key_hash.encoding (tag ‖ 20 bytes); a tz4 is case 3, obj2 (req "pkh"
// Public_key_hash.encoding) (req "version" Signature.version_encoding: int8).
// octez's client (src/lib_signer_backends/unix/socket.ml, build_request) sends
// a version only for tz4 keys.
function signPkh(pkh, version) {
	const bin = pkhBinary(pkh);
	if (bin[0] !== 3) return bin;
	return Buffer.concat([Buffer.from([3]), bin, Buffer.from([version ?? 3])]);
}

// Sign.Request / Make_authenticated_request: obj3 (req "pkh") (req "data" bytes)
// (opt "signature" Signature.encoding): the signature is Variable.bytes
// (src/lib_crypto/signature_v3.ml, raw_encoding), so it is just appended.
export function signRequest(pkh, data, { version, auth } = {}) {
	return Buffer.concat([Buffer.from([REQ.sign]), signPkh(pkh, version), u32(data.length), data, auth ?? Buffer.alloc(0)]);
}

export function nonceRequest(pkh, data, { hash = false, auth } = {}) {
	const tag = hash ? REQ.deterministicNonceHash : REQ.deterministicNonce;
	return Buffer.concat([Buffer.from([tag]), pkhBinary(pkh), u32(data.length), data, auth ?? Buffer.alloc(0)]);
}

// Public_key.Request and Supports_deterministic_nonces.Request: obj1 (req "pkh").
export const publicKeyRequest = (pkh) => Buffer.concat([Buffer.from([REQ.publicKey]), pkhBinary(pkh)]);
export const supportsRequest = (pkh) => Buffer.concat([Buffer.from([REQ.supportsDeterministicNonces]), pkhBinary(pkh)]);
export const authorizedKeysRequest = () => Buffer.from([REQ.authorizedKeys]);
export const knownKeysRequest = () => Buffer.from([REQ.knownKeys]);

// Bls_prove_possession.Request: obj2 (req "pkh") (opt "override_pk"
// Bls.Public_key.encoding, fixed 48 bytes: a bool marker first).
export function popRequest(pkh, overridePk) {
	const opt = overridePk ? Buffer.concat([Buffer.from([0xff]), overridePk]) : Buffer.from([0]);
	return Buffer.concat([Buffer.from([REQ.blsProvePossession]), pkhBinary(pkh), opt]);
}

// ---------------------------------------------------------------------------
// responses: result_encoding (src/lib_error_monad/monad_maker.ml): tag 0 Ok,
// tag 1 Error with the trace, a `list` of errors, each a `string` holding the
// BSON of the error's JSON (core_maker.ml error_encoding; data-encoding
// src/json.ml encoding; json-data-encoding src/json_repr_bson.ml).

function bsonDocument(buf) {
	const len = buf.readInt32LE(0);
	assert.equal(len, buf.length, 'BSON document length');
	assert.equal(buf[len - 1], 0, 'BSON document terminator');
	const out = {};
	let p = 4;
	while (p < len - 1) {
		const type = buf[p++];
		const end = buf.indexOf(0, p);
		const name = buf.subarray(p, end).toString('utf8');
		p = end + 1;
		assert.equal(type, 0x02, `BSON element ${name}: only strings expected in an error`);
		const n = buf.readInt32LE(p);
		out[name] = buf.subarray(p + 4, p + 4 + n - 1).toString('utf8');
		assert.equal(buf[p + 4 + n - 1], 0);
		p += 4 + n;
	}
	return out;
}

function decodeTrace(body) {
	const total = body.readUInt32BE(0);
	assert.equal(total, body.length - 4, 'trace list length');
	const errors = [];
	let p = 4;
	while (p < body.length) {
		const n = body.readUInt32BE(p);
		errors.push(bsonDocument(body.subarray(p + 4, p + 4 + n)));
		p += 4 + n;
	}
	assert.equal(p, body.length);
	return errors;
}

// {ok: value} or {error: [{kind, id, msg}, ...]}.
export function decodeResult(payload, decodeOk) {
	if (payload[0] === 1) return { error: decodeTrace(payload.subarray(1)) };
	assert.equal(payload[0], 0, `result tag ${payload[0]}`);
	return { ok: decodeOk(payload.subarray(1)) };
}

const lengthPrefixed = (b) => {
	assert.equal(b.readUInt32BE(0), b.length - 4, 'dynamic_size length');
	return b.subarray(4);
};

// The Ok bodies, from each Response.encoding in signer_messages.ml.
export const OK = {
	signature: (b) => Buffer.from(b), // Variable.bytes
	publicKey: (b) => ({ tag: b[0], key: Buffer.from(b.subarray(1)) }), // Public_key.encoding
	bytes: (b) => Buffer.from(lengthPrefixed(b)), // obj1 (req … bytes)
	bool: (b) => {
		assert.equal(b.length, 1);
		return b[0] !== 0;
	},
	pkhList: (b) => {
		const l = lengthPrefixed(b);
		assert.equal(l.length % 21, 0);
		const out = [];
		for (let i = 0; i < l.length; i += 21) out.push(pkhText(l.subarray(i, i + 21)));
		return out;
	},
	// Authorized_keys.Response: union, 0 No_authentication, 1 the list.
	authorizedKeys: (b) => (b[0] === 0 ? (assert.equal(b.length, 1), 'no_authentication_required') : OK.pkhList(b.subarray(1))),
	blsSignature: (b) => (assert.equal(b.length, 96), Buffer.from(b)),
};

const PKH_PREFIX = [PrefixV2.Ed25519PublicKeyHash, PrefixV2.Secp256k1PublicKeyHash, PrefixV2.P256PublicKeyHash, PrefixV2.BLS12_381PublicKeyHash];
const PK_PREFIX = [PrefixV2.Ed25519PublicKey, PrefixV2.Secp256k1PublicKey, PrefixV2.P256PublicKey, PrefixV2.BLS12_381PublicKey];
const SIG_PREFIX = { tz1: PrefixV2.Ed25519Signature, tz2: PrefixV2.Secp256k1Signature, tz3: PrefixV2.P256Signature, tz4: PrefixV2.BLS12_381Signature };

export const pkhText = (bin) => b58Encode(bin.subarray(1), PKH_PREFIX[bin[0]]);
export const publicKeyText = ({ tag, key }) => b58Encode(key, PK_PREFIX[tag]);
export const signatureText = (raw, pkh) => b58Encode(raw, SIG_PREFIX[pkh.slice(0, 3)]);
// A Taquito signature (edsig…, BLsig…) as the raw bytes octez's client sends.
export function rawSignature(b58) {
	const [raw] = b58DecodeAndCheckPrefix(b58, Object.values(SIG_PREFIX));
	return Buffer.from(raw);
}

// ---------------------------------------------------------------------------
// connections

// One connection: send(payload) → the next reply payload. `where` is
// {port} (127.0.0.1) or {path} (unix socket).
export async function connect(where) {
	const sock = net.connect(where.path ? { path: where.path } : { host: '127.0.0.1', port: where.port });
	sock.setNoDelay(true);
	await new Promise((resolve, reject) => {
		sock.once('connect', resolve);
		sock.once('error', reject);
	});
	let buf = Buffer.alloc(0);
	let waiter = null;
	let closed = false;
	const pump = () => {
		if (!waiter) return;
		if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
			const n = buf.readUInt16BE(0);
			const payload = buf.subarray(2, 2 + n);
			buf = buf.subarray(2 + n);
			const w = waiter;
			waiter = null;
			w.resolve(payload);
		} else if (closed) {
			const w = waiter;
			waiter = null;
			w.reject(new Error('connection closed before a full reply'));
		}
	};
	sock.on('data', (d) => {
		buf = Buffer.concat([buf, d]);
		pump();
	});
	sock.on('close', () => {
		closed = true;
		pump();
	});
	sock.on('error', () => {});
	return {
		call(payload) {
			return new Promise((resolve, reject) => {
				waiter = { resolve, reject };
				sock.write(frame(payload));
			});
		},
		sendRaw(bytes) {
			sock.write(bytes);
		},
		next() {
			return new Promise((resolve, reject) => {
				waiter = { resolve, reject };
				pump();
			});
		},
		closed: () => new Promise((resolve) => (closed ? resolve() : sock.once('close', resolve))),
		end() {
			sock.end();
		},
	};
}

// One request on its own connection (octez's client: public_key, supports…,
// known_keys, bls_prove_possession each use with_connection once).
export async function callOnce(where, payload, decodeOk) {
	const c = await connect(where);
	try {
		return decodeResult(await c.call(payload), decodeOk);
	} finally {
		c.end();
	}
}

// What octez's client does for a signature or a nonce
// (src/lib_signer_backends/unix/socket.ml, with_signer_operation and
// maybe_authenticate): one connection; Authorized_keys first; when the signer
// lists keys, authenticate 0x04 ‖ 0x01 ‖ pkh ‖ data (Sign.Request.to_sign, tag 1
// for every request kind); then the request. authenticate(bytes) → raw signature.
export async function octezOperation(where, pkh, data, build, decodeOk, authenticate) {
	const c = await connect(where);
	try {
		const ak = decodeResult(await c.call(authorizedKeysRequest()), OK.authorizedKeys);
		assert.ok(ak.ok, `authorized_keys: ${JSON.stringify(ak.error)}`);
		let auth;
		if (ak.ok !== 'no_authentication_required' && authenticate) auth = await authenticate();
		return decodeResult(await c.call(build(auth)), decodeOk);
	} finally {
		c.end();
	}
}
