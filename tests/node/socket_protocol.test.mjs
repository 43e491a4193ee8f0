// octez's socket signer protocol (serve --socket, design §2.8), driven by a
// client built from octez's encodings (lib/octez_socket.mjs, each field cited
// there), for tz1–tz4 keys, with and without -A. Signatures are verified with
// Taquito; deterministic nonces are recomputed here from octez's derivation
// (src/lib_crypto/{ed25519,secp256k1,p256,bls}.ml, deterministic_nonce:
// HMAC-SHA256 keyed with Secret_key.to_bytes over the data; the hash is
// blake2b-256 of the nonce) with Node's crypto and @noble/hashes.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { bls12_381 } from '@noble/curves/bls12-381';
import { verifySignature, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';
import { makeBaseDir, removeTempDirs, genKey, cli, startSigner, serveMustFail, request, postSign, randomChainId } from './lib/signer.mjs';
import { op, randomClient, blake2b256, auditLines, waitAudit } from './lib/watermark.mjs';
import {
	OK,
	connect,
	callOnce,
	octezOperation,
	decodeResult,
	frame,
	signRequest,
	nonceRequest,
	publicKeyRequest,
	supportsRequest,
	knownKeysRequest,
	popRequest,
	publicKeyText,
	signatureText,
	rawSignature,
} from './lib/octez_socket.mjs';

after(removeTempDirs);

const TYPES = ['tz1', 'tz2', 'tz3', 'tz4'];
// BLS min-pk DSTs (design §2.3).
const DST_POP = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const DST_AUG = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_';

// The payload of the key's unencrypted secret (octez's Secret_key.to_bytes).
async function secretPayload(dir, name) {
	const all = JSON.parse(await readFile(path.join(dir, 'secret_keys'), 'utf8'));
	const v = all.find((e) => e.name === name).value.replace(/^unencrypted:/, '');
	const [raw] = b58DecodeAndCheckPrefix(v, [PrefixV2.Ed25519Seed, PrefixV2.Secp256k1SecretKey, PrefixV2.P256SecretKey, PrefixV2.BLS12_381SecretKey]);
	assert.equal(raw.length, 32);
	return Buffer.from(raw);
}

const expectedNonce = (secret, data) => createHmac('sha256', secret).update(data).digest();

function socketOf(handle, scheme = 'tcp') {
	const m = new RegExp(`event=socket_listening socket=${scheme}://(\\S+)`).exec(handle.stderr());
	assert.ok(m, `no ${scheme} socket in the log:\n${handle.stderr()}`);
	if (scheme === 'unix') return { path: m[1] };
	return { port: Number(/:(\d+)$/.exec(m[1])[1]) };
}

describe('serve --socket without -A', () => {
	let dir, s, at;
	const keys = {};
	before(async () => {
		dir = await makeBaseDir('sock');
		for (const t of TYPES) keys[t] = await genKey(dir, `sock_${t}`, t);
		s = await startSigner(dir, ['--socket', 'tcp://127.0.0.1:0']);
		at = socketOf(s);
	});
	after(async () => s && (await s.stop()));

	test('authorized_keys answers No_authentication', async () => {
		const c = await connect(at);
		const r = decodeResult(await c.call(Buffer.from([2])), OK.authorizedKeys);
		c.end();
		assert.deepEqual(r, { ok: 'no_authentication_required' });
	});

	for (const t of TYPES) {
		test(`${t}: public key, signature (Taquito verifies), nonces, supports`, async () => {
			const k = keys[t];
			const pk = await callOnce(at, publicKeyRequest(k.pkh), OK.publicKey);
			assert.equal(publicKeyText(pk.ok), k.publicKey);

			const bytes = op({ kind: 'attestation', level: 7, round: 1, chainId: randomChainId(), keyType: t });
			const r = await octezOperation(at, k.pkh, bytes, () => signRequest(k.pkh, bytes), OK.signature);
			assert.ok(r.ok, JSON.stringify(r.error));
			assert.equal(r.ok.length, t === 'tz4' ? 96 : 64);
			assert.ok(verifySignature(bytes, k.publicKey, signatureText(r.ok, k.pkh)), `${t} socket signature does not verify`);
			const a = auditLines(s.stderr()).filter((l) => l.transport === 'socket').at(-1);
			assert.equal(a.event, 'signed', a.line);

			const sup = await callOnce(at, supportsRequest(k.pkh), OK.bool);
			assert.deepEqual(sup, { ok: true });
			const secret = await secretPayload(dir, `sock_${t}`);
			for (const data of [Buffer.alloc(0), Buffer.from('0102030405', 'hex'), Buffer.alloc(300, 7)]) {
				const want = expectedNonce(secret, data);
				const n = await octezOperation(at, k.pkh, data, () => nonceRequest(k.pkh, data), OK.bytes);
				assert.deepEqual(n.ok, want, `${t} nonce of ${data.length} bytes`);
				const h = await octezOperation(at, k.pkh, data, () => nonceRequest(k.pkh, data, { hash: true }), OK.bytes);
				assert.deepEqual(h.ok, blake2b256(want), `${t} nonce hash of ${data.length} bytes`);
			}
		});
	}

	test('tz4 signature versions: 2 and 3 the PoP scheme (= HTTP), 1 augmented, 0 refused', async () => {
		const k = keys.tz4;
		const chainId = randomChainId();
		const bytes = op({ kind: 'preattestation', level: 3, round: 0, chainId, keyType: 'tz4' });
		const sig = async (version) => decodeResult(await (async () => {
			const c = await connect(at);
			const p = await c.call(signRequest(k.pkh, bytes, { version }));
			c.end();
			return p;
		})(), OK.signature);
		const v3 = await sig(3);
		const v2 = await sig(2); // identical bytes at the same (level, round): re-answered
		assert.ok(v3.ok && v2.ok, JSON.stringify([v3.error, v2.error]));
		assert.deepEqual(v2.ok, v3.ok);
		assert.ok(verifySignature(bytes, k.publicKey, signatureText(v3.ok, k.pkh)));
		const http = await postSign(s.port, k.pkh, bytes, { query: '?version=2' });
		assert.equal(http.status, 200, http.text);
		assert.equal(http.json.signature, signatureText(v3.ok, k.pkh), 'socket and HTTP give the same signature');
		// version 1 at a fresh level (a re-answer returns the stored signature):
		// checked with @noble/curves under the augmented DST over pk ‖ bytes
		const bytes1 = op({ kind: 'preattestation', level: 4, round: 0, chainId, keyType: 'tz4' });
		const c1 = await connect(at);
		const v1 = decodeResult(await c1.call(signRequest(k.pkh, bytes1, { version: 1 })), OK.signature);
		c1.end();
		assert.ok(v1.ok, JSON.stringify(v1.error));
		const [pkRaw] = b58DecodeAndCheckPrefix(k.publicKey, [PrefixV2.BLS12_381PublicKey]);
		const pkb = Buffer.from(pkRaw);
		assert.ok(bls12_381.verify(v1.ok, Buffer.concat([pkb, bytes1]), pkb, { DST: DST_AUG }), 'version 1: augmented scheme');
		assert.ok(!bls12_381.verify(v1.ok, bytes1, pkb, { DST: DST_POP }), 'version 1 is not the PoP scheme');
		assert.ok(bls12_381.verify(v3.ok, bytes, pkb, { DST: DST_POP }), 'version 3: PoP scheme');
		const v0 = await sig(0);
		assert.equal(v0.error?.[0]?.id, 'tzsigner.malformed', JSON.stringify(v0));
		assert.match(v0.error[0].msg, /version 0/);
	});

	test('a watermark refusal comes back as octez\'s error encoding', async () => {
		const k = keys.tz1;
		const chainId = randomChainId();
		const a = op({ kind: 'attestation', level: 20, round: 0, chainId });
		const b = op({ kind: 'attestation', level: 20, round: 0, chainId });
		assert.ok((await octezOperation(at, k.pkh, a, () => signRequest(k.pkh, a), OK.signature)).ok);
		const r = await octezOperation(at, k.pkh, b, () => signRequest(k.pkh, b), OK.signature);
		assert.equal(r.error.length, 1);
		assert.equal(r.error[0].kind, 'temporary');
		assert.equal(r.error[0].id, 'tzsigner.watermark');
		assert.match(r.error[0].msg, /level 20/);
		const http = await postSign(s.port, k.pkh, b);
		assert.equal(http.status, 409, 'HTTP refuses the same bytes: one watermark for both transports');
	});

	test('unknown key, disabled known_keys and proof of possession: errors', async () => {
		const stranger = await randomClient('tz1').signer.publicKeyHash();
		const pk = await callOnce(at, publicKeyRequest(stranger), OK.publicKey);
		assert.equal(pk.error[0].id, 'tzsigner.not_found');
		const kk = await callOnce(at, knownKeysRequest(), OK.pkhList);
		assert.match(kk.error[0].msg, /--allow-list-known-keys/);
		const pop = await callOnce(at, popRequest(keys.tz4.pkh), OK.blsSignature);
		assert.match(pop.error[0].msg, /--allow-to-prove-possession/);
	});

	test('a malformed request gets an error, then the connection is closed', async () => {
		const c = await connect(at);
		const r = decodeResult(await c.call(Buffer.from([9])), OK.bool);
		assert.match(r.error[0].msg, /unknown request tag 9/);
		await c.closed();
		// a frame announcing more than is sent: the connection is closed at its deadline,
		// the signer keeps serving others meanwhile
		const slow = await connect(at);
		slow.sendRaw(Buffer.from([0x00, 0x10, 0x01]));
		const ok = await callOnce(at, supportsRequest(keys.tz1.pkh), OK.bool);
		assert.deepEqual(ok, { ok: true });
		slow.end();
	});

	test('several requests on one connection, as octez-signer serves them', async () => {
		const c = await connect(at);
		for (const t of TYPES) {
			const r = decodeResult(await c.call(publicKeyRequest(keys[t].pkh)), OK.publicKey);
			assert.equal(publicKeyText(r.ok), keys[t].publicKey);
		}
		c.end();
	});
});

describe('serve --socket with -A, known keys and proof of possession', () => {
	let dir, s, at, unixAt, sockDir;
	const keys = {};
	const clients = {};
	before(async () => {
		dir = await makeBaseDir('sockauth');
		sockDir = await makeBaseDir('sockrun');
		for (const t of TYPES) keys[t] = await genKey(dir, `a_${t}`, t);
		for (const t of TYPES) {
			clients[t] = randomClient(t).signer;
			await cli(['keys', 'authorize', await clients[t].publicKey(), '--name', `client_${t}`, '-d', dir]);
		}
		s = await startSigner(dir, [
			'-A', '--allow-list-known-keys', '--allow-to-prove-possession',
			'--socket', 'tcp://127.0.0.1:0', '--socket', `unix://${sockDir}/signer.sock`,
			'--socket-group', String(os.userInfo().gid),
		]);
		at = socketOf(s);
		unixAt = socketOf(s, 'unix');
	});
	after(async () => s && (await s.stop()));

	// octez's client authenticates with its own key: Taquito signs
	// 0x04 ‖ 0x01 ‖ pkh ‖ data (the 0x04 as the watermark) and sends the raw bytes.
	const authBy = (client, pkh, data) => async () => {
		const body = Buffer.concat([Buffer.from([0x01]), Buffer.from(pkhBin(pkh)), data]);
		const { prefixSig } = await client.sign(body.toString('hex'), new Uint8Array([0x04]));
		return rawSignature(prefixSig);
	};
	const pkhBin = (pkh) => publicKeyRequest(pkh).subarray(1);

	test('authorized_keys lists the authorized keys\' hashes', async () => {
		const r = await callOnce(at, Buffer.from([2]), OK.authorizedKeys);
		const want = await Promise.all(TYPES.map((t) => clients[t].publicKeyHash()));
		assert.deepEqual([...r.ok].sort(), want.sort());
	});

	for (const t of TYPES) {
		test(`${t} target: signed when authenticated by tz1–tz4 clients, refused without`, async () => {
			const k = keys[t];
			const chainId = randomChainId();
			for (const [i, ct] of TYPES.entries()) {
				const bytes = op({ kind: 'attestation', level: 30 + i, round: 0, chainId, keyType: t });
				const r = await octezOperation(at, k.pkh, bytes, (auth) => signRequest(k.pkh, bytes, { auth }), OK.signature,
					authBy(clients[ct], k.pkh, bytes));
				assert.ok(r.ok, `${ct} client: ${JSON.stringify(r.error)}`);
				assert.ok(verifySignature(bytes, k.publicKey, signatureText(r.ok, k.pkh)));
			}
			const bytes = op({ kind: 'attestation', level: 40, round: 0, chainId, keyType: t });
			const none = await callOnce(at, signRequest(k.pkh, bytes), OK.signature);
			assert.equal(none.error[0].id, 'tzsigner.authentication', JSON.stringify(none));
			const other = op({ kind: 'attestation', level: 41, round: 0, chainId, keyType: t });
			const wrong = await callOnce(at, signRequest(k.pkh, bytes, { auth: await authBy(clients.tz1, k.pkh, other)() }), OK.signature);
			assert.equal(wrong.error[0].id, 'tzsigner.authentication', 'authentication over other bytes');
			// the nonce needs the same authentication (handler.ml, check_authorization)
			const data = Buffer.from('cafe', 'hex');
			const n = await octezOperation(at, k.pkh, data, (auth) => nonceRequest(k.pkh, data, { auth }), OK.bytes,
				authBy(clients.tz2, k.pkh, data));
			assert.deepEqual(n.ok, expectedNonce(await secretPayload(dir, `a_${t}`), data));
			const n0 = await callOnce(at, nonceRequest(k.pkh, data), OK.bytes);
			assert.equal(n0.error[0].id, 'tzsigner.authentication');
		});
	}

	test('known_keys lists the signer\'s keys', async () => {
		const r = await callOnce(at, knownKeysRequest(), OK.pkhList);
		assert.deepEqual([...r.ok].sort(), TYPES.map((t) => keys[t].pkh).sort());
	});

	test('proof of possession: the same as HTTP\'s, with and without override', async () => {
		const k = keys.tz4;
		const r = await callOnce(at, popRequest(k.pkh), OK.blsSignature);
		const http = await request(s.port, 'GET', `/bls_prove_possession/${k.pkh}`);
		assert.equal(http.status, 200, http.text);
		assert.equal(signatureText(r.ok, k.pkh), http.json.bls_prove_possession);
		const other = await clients.tz4.publicKey();
		const [otherRaw] = b58DecodeAndCheckPrefix(other, [PrefixV2.BLS12_381PublicKey]);
		const o = await callOnce(at, popRequest(k.pkh, Buffer.from(otherRaw)), OK.blsSignature);
		const httpO = await request(s.port, 'GET', `/bls_prove_possession/${k.pkh}?bls_pk=${other}`);
		assert.equal(signatureText(o.ok, k.pkh), httpO.json.bls_prove_possession);
		assert.notDeepEqual(o.ok, r.ok);
		const notBls = await callOnce(at, popRequest(keys.tz1.pkh), OK.blsSignature);
		assert.match(notBls.error[0].msg, /not a tz4/);
	});

	test('the unix socket: mode 0660, the given group, same answers', async () => {
		const st = await stat(unixAt.path);
		assert.ok(st.isSocket());
		assert.equal(st.mode & 0o777, 0o660);
		assert.equal(st.gid, os.userInfo().gid);
		const k = keys.tz3;
		const bytes = op({ kind: 'block', level: 50, round: 0, chainId: randomChainId() });
		const r = await octezOperation(unixAt, k.pkh, bytes, (auth) => signRequest(k.pkh, bytes, { auth }), OK.signature,
			authBy(clients.tz4, k.pkh, bytes));
		assert.ok(r.ok, JSON.stringify(r.error));
		assert.ok(verifySignature(bytes, k.publicKey, signatureText(r.ok, k.pkh)));
	});
});

test('frames are octez\'s: a 2-byte big-endian length', () => {
	assert.deepEqual(frame(Buffer.from([2])), Buffer.from([0, 1, 2]));
});

describe('serve --socket limits', () => {
	let dir, s, at, key;
	before(async () => {
		dir = await makeBaseDir('socklim');
		key = await genKey(dir, 'lim', 'tz1');
		s = await startSigner(dir, ['--max-connections', '1', '--socket', 'tcp://127.0.0.1:0']);
		at = socketOf(s);
	});
	after(async () => s && (await s.stop()));

	test('a full table sheds its oldest idle connection for a new one; with none idle, the new one is closed unanswered', async () => {
		// The front (issue 14): an idle connection (no request in progress)
		// gives its slot to a new one; one in the middle of a frame does not.
		const first = await connect(at);
		assert.deepEqual(decodeResult(await first.call(supportsRequest(key.pkh)), OK.bool), { ok: true });
		const second = await connect(at);
		assert.deepEqual(decodeResult(await second.call(supportsRequest(key.pkh)), OK.bool), { ok: true });
		await first.closed(); // shed for the second
		second.sendRaw(Buffer.from([0])); // one byte of a frame: a request in progress
		await new Promise((r) => setTimeout(r, 200));
		const third = await connect(at);
		await assert.rejects(third.call(supportsRequest(key.pkh)), /closed/);
		second.end();
		await second.closed();
		let ok;
		for (let i = 0; i < 50 && !ok; i++) {
			try {
				ok = await callOnce(at, supportsRequest(key.pkh), OK.bool);
			} catch {
				await new Promise((r) => setTimeout(r, 20)); // the server sees the close a moment later
			}
		}
		assert.deepEqual(ok, { ok: true });
	});

	test('a unix socket path that is another file is refused at start', async () => {
		const other = await makeBaseDir('socknotsock');
		await genKey(other, 'k', 'tz1');
		const file = path.join(other, 'not-a-socket');
		await writeFile(file, 'x');
		const r = await serveMustFail(other, ['--socket', `unix://${file}`]);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /exists and is not a socket/);
		assert.equal(await readFile(file, 'utf8'), 'x', 'the file is left alone');
	});
});
