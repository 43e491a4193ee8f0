// A test client that speaks to a remote signer exactly as octez's own HTTP
// signer client does, for octez-client and octez-baker v24 and v25. Each
// request shape below is a fact read from octez's source (tezos/tezos-mirror,
// tags octez-v24.4 and octez-v25.1) or from the libraries it builds on
// (resto's cohttp client, cohttp); the comment next to it says where.
//
// The requests are written byte for byte on a raw TCP socket, so nothing
// (Node's http module included) adds, reorders or drops a header.

import net from 'node:net';
import assert from 'node:assert/strict';
import { verifySignature } from '@taquito/utils';
import { pkhBinary } from './watermark.mjs';

// Signature.version of each client: src/lib_crypto/signature.ml,
// `module V_latest ... let version = Version_2` in octez-v24.4 and
// `Version_3` in octez-v25.1. Client_keys.sign passes it on every call
// (src/lib_client_base/client_keys.ml, `sign`: Signer.sign
// ~version:Signature.version), and the HTTP backend puts it in the query
// (src/lib_signer_backends/http_gen.ml, `sign`: (signature, version) as the
// query of Signer_services.sign).
export const OCTEZ_VERSIONS = {
	v24: { tag: 'octez-v24.4', signatureVersion: 2 },
	v25: { tag: 'octez-v25.1', signatureVersion: 3 },
};

// Every call of http_gen.ml passes Media_type.all_media_types =
// [json; bson; octet_stream] (src/lib_rpc_http/media_type.ml) with q values
// 1000, 100 and 200. resto's client (src/client.ml, generic_call_loop) sends
// them as the accept header through Media_type.accept_header, which cohttp's
// Accept.string_of_media_ranges writes as "type/subtype;q=…" joined by ","
// (q 1000 is "1", others "0.NNN").
export const OCTEZ_ACCEPT = 'application/json;q=1,application/bson;q=0.100,application/octet-stream;q=0.200';
// resto's `prepare` builds a body with the first complete media type of the
// list, json, and generic_call_loop adds it as content-type.
export const OCTEZ_CONTENT_TYPE = 'application/json';
// cohttp's client adds its user agent (cohttp Header.user_agent,
// "ocaml-cohttp/" ^ version) to every request; octez v24.4 and v25.1 lock
// cohttp 5.3.1~octez (opam/virtual/octez-deps.opam.locked). The exact
// version text depends on how that fork was built; no server reads it.
export const OCTEZ_USER_AGENT = 'ocaml-cohttp/5.3.1';

// One HTTP/1.1 exchange on a fresh connection (cohttp-lwt-unix's Client.call
// without a context opens one per call). Resolves
// {status, headers, body (Buffer), json, request (the exact text sent)}.
export function rawExchange(port, requestBytes, { timeoutMs = 20_000 } = {}) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host: '127.0.0.1', port });
		const chunks = [];
		const timer = setTimeout(() => {
			sock.destroy();
			reject(new Error(`no answer within ${timeoutMs} ms to:\n${requestBytes.toString('latin1')}`));
		}, timeoutMs);
		let parsed = null;
		const tryParse = () => {
			const all = Buffer.concat(chunks);
			const end = all.indexOf('\r\n\r\n');
			if (end < 0) return null;
			const head = all.subarray(0, end).toString('latin1').split('\r\n');
			const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0])?.[1]);
			const headers = {};
			for (const l of head.slice(1)) {
				const i = l.indexOf(':');
				headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
			}
			const body = all.subarray(end + 4);
			const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
			if (len !== null && body.length < len) return null;
			return { status, headers, body: len !== null ? body.subarray(0, len) : body };
		};
		sock.on('data', (d) => {
			chunks.push(d);
			parsed = tryParse();
			if (parsed) sock.end();
		});
		sock.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		sock.on('close', () => {
			clearTimeout(timer);
			parsed ??= tryParse();
			if (!parsed) {
				reject(new Error(`connection closed without a full answer to:\n${requestBytes.toString('latin1')}`));
				return;
			}
			let json;
			try {
				json = JSON.parse(parsed.body.toString('utf8'));
			} catch {
				json = undefined;
			}
			resolve({ ...parsed, json, request: requestBytes.toString('latin1') });
		});
		sock.write(requestBytes);
	});
}

// The bytes of one request as octez's client writes it. Header names are
// lowercase (cohttp keeps what resto gives it; resto lowercases). Host is
// "host:port" (resto generic_call_loop: Header.replace "host"). A body
// comes with its content-type (resto) and content-length (cohttp's client,
// a fixed-length string body).
export function octezRequest(port, method, target, body) {
	const lines = [`${method} ${target} HTTP/1.1`, `host: 127.0.0.1:${port}`];
	if (body !== undefined) lines.push(`content-type: ${OCTEZ_CONTENT_TYPE}`);
	lines.push(`accept: ${OCTEZ_ACCEPT}`, `user-agent: ${OCTEZ_USER_AGENT}`);
	if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
	return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), Buffer.from(body ?? '', 'utf8')]);
}

// What octez's client requires of every answer it decodes: a 200 whose
// content-type is one it accepted (resto client: find_media on the answer's
// content-type), here JSON, the first of them.
function assertOctezDecodable(r, what) {
	assert.equal(r.status, 200, `${what}: ${r.status} ${r.body.toString('utf8')}\nrequest:\n${r.request}`);
	assert.match(r.headers['content-type'] ?? '', /^application\/json\b/, `${what}: content-type ${r.headers['content-type']}`);
	assert.ok(r.json !== undefined, `${what}: not JSON: ${r.body.toString('utf8')}`);
}

// An octez wallet holding one remote key `http://127.0.0.1:PORT/<pkh>`, and
// optionally a local key that authenticates requests (octez -A).
export class OctezHttpSigner {
	// version: 'v24' | 'v25'; auth: a Taquito InMemorySigner holding the
	// wallet's authorized key, or null.
	constructor({ port, pkh, version, auth = null }) {
		this.port = port;
		this.pkh = pkh;
		this.version = OCTEZ_VERSIONS[version];
		assert.ok(this.version, `unknown octez version ${version}`);
		this.auth = auth;
		this.publicKey = null; // the wallet's public_keys entry, once known
		this.trace = []; // "METHOD target" of every request, in order
	}

	async send(method, target, body) {
		this.trace.push(`${method} ${target}`);
		return rawExchange(this.port, octezRequest(this.port, method, target, body));
	}

	// GET /keys/<pkh>: Signer_services.public_key, called by http_gen.ml
	// `public_key` (and `public_key_hash`), i.e. by `octez-client import
	// secret key NAME http://…/<pkh>` (Client_keys.import_secret_key), and by
	// Client_keys.sign when the wallet has no public key for the alias.
	// Output: obj1 (req "public_key" Signature.Public_key.encoding).
	async importKey() {
		const r = await this.send('GET', `/keys/${this.pkh}`);
		assertOctezDecodable(r, 'GET /keys/<pkh>');
		assert.equal(typeof r.json.public_key, 'string', 'no public_key');
		assert.deepEqual(Object.keys(r.json), ['public_key']);
		this.publicKey = r.json.public_key;
		return this.publicKey;
	}

	// GET /authorized_keys: Signer_services.authorized_keys, called by
	// http_gen.ml `get_signature` before every sign. Output: obj1 (opt
	// "authorized_keys" (list pkh)): {} means no authentication.
	async authorizedKeys() {
		const r = await this.send('GET', '/authorized_keys');
		assertOctezDecodable(r, 'GET /authorized_keys');
		const keys = r.json.authorized_keys;
		assert.ok(keys === undefined || Array.isArray(keys), `authorized_keys: ${JSON.stringify(r.json)}`);
		assert.deepEqual(Object.keys(r.json).filter((k) => k !== 'authorized_keys'), []);
		return keys ?? null;
	}

	// The authentication of a sign (src/lib_client_base_unix/
	// client_main_run.ml, Remote_params.authenticate: the first wallet key
	// whose hash is in authorized_keys signs
	// Signer_messages.Sign.Request.to_sign = 0x04 ‖ tag 0x01 ‖ pkh bytes ‖
	// data, with no watermark, under the client's latest version).
	async authentication(authorized, data) {
		if (!this.auth) throw new Error('the remote signer expects authentication, but no authorized key is in the wallet');
		const mine = await this.auth.publicKeyHash();
		assert.ok(authorized.includes(mine), `${mine} is not among the authorized keys ${authorized.join(',')}`);
		const body = Buffer.concat([Buffer.from([0x01]), pkhBinary(this.pkh), data]);
		const { prefixSig } = await this.auth.sign(body.toString('hex'), new Uint8Array([0x04]));
		return prefixSig;
	}

	// Client_keys.sign with a watermark, as octez-client and octez-baker call
	// it (the baker: src/proto_025_PsUshuai/lib_delegate/baking_actions.ml,
	// `sign`): http_gen.ml `sign` prepends the watermark's bytes (magic byte
	// ‖ chain id), asks GET /authorized_keys, authenticates if a list came
	// back, then POST /keys/<pkh>?authentication=…&version=N (resto's query
	// fields in sign_query order: authentication, then version) with the
	// bytes as a JSON hex string (Data_encoding.bytes under json). Then
	// Client_keys.sign takes the public key from the wallet, or asks GET
	// /keys/<pkh> when it has none, and checks the signature against it
	// (Signer_output_mismatch otherwise). watermarked is the full message:
	// magic ‖ chain id ‖ unsigned bytes.
	async sign(watermarked) {
		const authorized = await this.authorizedKeys();
		const query = [];
		if (authorized) query.push(`authentication=${await this.authentication(authorized, watermarked)}`);
		query.push(`version=${this.version.signatureVersion}`);
		const body = JSON.stringify(watermarked.toString('hex'));
		const r = await this.send('POST', `/keys/${this.pkh}?${query.join('&')}`, body);
		if (r.status !== 200) return { status: r.status, error: r.json, response: r };
		assertOctezDecodable(r, 'POST /keys/<pkh>');
		assert.deepEqual(Object.keys(r.json), ['signature'], `sign answer: ${JSON.stringify(r.json)}`);
		const signature = r.json.signature;
		if (!this.publicKey) await this.importKey();
		return { status: 200, signature, verified: verifySignature(watermarked, this.publicKey, signature) };
	}
}

