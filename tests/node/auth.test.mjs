// Request authentication (octez -A, design §2.1): a client key authorized
// with `tzsigner keys authorize` signs 0x04 ‖ 0x01 ‖ pkh_bin(target) ‖ data
// with Taquito's InMemorySigner and passes ?authentication=<signature>.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	cli,
	runCli,
	startSigner,
	serveMustFail,
	request,
	postSign,
	assertOctezError,
	randomChainId,
	randomPkh,
} from './lib/signer.mjs';
import { op, randomClient, authSignature, authQuery, pkhBinary, auditLines, waitAudit } from './lib/watermark.mjs';

after(removeTempDirs);

test('pkh_bin is the tag byte and the 20-byte hash (checked against Taquito)', async () => {
	const { signer } = randomClient('tz1');
	const pkh = await signer.publicKeyHash();
	const bin = pkhBinary(pkh);
	assert.equal(bin.length, 21);
	assert.equal(bin[0], 0);
	for (const [t, tag] of [['tz2', 1], ['tz3', 2], ['tz4', 3]]) {
		const c = randomClient(t);
		assert.equal(pkhBinary(await c.signer.publicKeyHash())[0], tag, t);
	}
});

describe('serve -A', () => {
	let dir;
	let s;
	const keys = {};
	let client; // authorized, ed25519
	let client2; // authorized, secp256k1
	let client3; // authorized, P-256
	let client4; // authorized, BLS
	let stranger; // not authorized

	before(async () => {
		dir = await makeBaseDir('auth');
		for (const t of ['tz1', 'tz4']) keys[t] = await genKey(dir, `auth_${t}`, t);
		client = randomClient('tz1').signer;
		client2 = randomClient('tz2').signer;
		client3 = randomClient('tz3').signer;
		client4 = randomClient('tz4').signer;
		stranger = randomClient('tz1').signer;
		const r = await cli(['keys', 'authorize', await client.publicKey(), '--name', 'baker', '-d', dir]);
		assert.match(r.stdout, new RegExp(`baker ${await client.publicKeyHash()}`));
		// without --name the key is named by its pkh
		await cli(['keys', 'authorize', await client2.publicKey(), '-d', dir]);
		await cli(['keys', 'authorize', await client3.publicKey(), '--name', 'p256', '-d', dir]);
		await cli(['keys', 'authorize', await client4.publicKey(), '--name', 'bls', '-d', dir]);
		// the same key twice is refused
		const dup = await runCli(['keys', 'authorize', await client.publicKey(), '--name', 'again', '-d', dir]);
		assert.notEqual(dup.code, 0, 'authorizing the same key twice succeeded');
		assert.match(dup.stderr, /already/);
		const file = JSON.parse(await readFile(path.join(dir, 'authorized_keys'), 'utf8'));
		assert.deepEqual(
			file.map((e) => e.value).sort(),
			[await client.publicKey(), await client2.publicKey(), await client3.publicKey(), await client4.publicKey()].sort(),
			'authorized_keys in octez format [{name, value}]',
		);
		s = await startSigner(dir, ['-A']);
		assert.match(s.stderr(), /event=listening .*auth=required/);
	});

	after(async () => {
		if (s) await s.stop();
	});

	test('GET /authorized_keys lists the authorized keys\' pkhs', async () => {
		const r = await request(s.port, 'GET', '/authorized_keys');
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(
			[...r.json.authorized_keys].sort(),
			await Promise.all([client, client2, client3, client4].map((c) => c.publicKeyHash())).then((l) => l.sort()),
		);
	});

	for (const type of ['tz1', 'tz4']) {
		test(`a request authenticated by an authorized key is signed (${type} target; ed25519, secp256k1, P-256 and BLS clients)`, async () => {
			const chainId = randomChainId();
			for (const [i, c] of [client, client2, client3, client4].entries()) {
				const bytes = op({ kind: 'attestation', level: 10 + i, round: 0, chainId, keyType: type });
				const auth = await authSignature(c, keys[type].pkh, bytes);
				assert.match(auth, [/^edsig/, /^spsig1/, /^p2sig/, /^BLsig/][i]);
				const before_ = auditLines(s.stderr()).length;
				const r = await postSign(s.port, keys[type].pkh, bytes, { query: authQuery(auth) });
				assert.equal(r.status, 200, `client ${i}: ${r.text}`);
				assert.ok(verifySignature(bytes, keys[type].publicKey, r.json.signature));
				const a = (await waitAudit(s, before_))[before_];
				assert.equal(a.event, 'signed', a.line);
				if (i === 0) assert.equal(a.auth, 'baker', `audit names the authenticating key: ${a.line}`);
			}
		});
	}

	test('missing, wrong-key, wrong-bytes, wrong-target and garbage authentication: 401', async () => {
		const chainId = randomChainId();
		const key = keys.tz1;
		const bytes = op({ kind: 'attestation', level: 50, round: 0, chainId });
		const other = op({ kind: 'attestation', level: 50, round: 0, chainId });
		const cases = [
			['missing', ''],
			['empty', '?authentication='],
			['by a key that is not authorized', authQuery(await authSignature(stranger, key.pkh, bytes))],
			['over other bytes', authQuery(await authSignature(client, key.pkh, other))],
			['for another target key', authQuery(await authSignature(client, keys.tz4.pkh, bytes))],
			// the data signed without the 0x04 ‖ 0x01 ‖ pkh prefix
			['over the bare data', authQuery((await client.sign(bytes.toString('hex'))).prefixSig)],
			// with a generic-operation watermark 0x03 instead of 0x04
			['with another watermark', authQuery((await client.sign(Buffer.concat([Buffer.from([1]), pkhBinary(key.pkh), bytes]).toString('hex'), new Uint8Array([3]))).prefixSig)],
			['not a signature', '?authentication=hello'],
		];
		for (const [what, query] of cases) {
			const r = await postSign(s.port, key.pkh, bytes, { query });
			assertOctezError(r, 401, /authentication/i, `authentication ${what}`);
		}
		// None of them moved the watermark: the properly authenticated bytes
		// at the same (level, round) still sign.
		const r = await postSign(s.port, key.pkh, bytes, { query: authQuery(await authSignature(client, key.pkh, bytes)) });
		assert.equal(r.status, 200, `after the refused requests: ${r.text}`);
		assert.ok(verifySignature(bytes, key.publicKey, r.json.signature));
		// and an authenticated request still meets the watermark (409, not 401)
		const r2 = await postSign(s.port, key.pkh, other, { query: authQuery(await authSignature(client, key.pkh, other)) });
		assertOctezError(r2, 409, /not above high watermark|already signed with different/, 'authenticated, below the watermark');
	});

	test('authentication is checked before the watermark, after key and magic byte', async () => {
		// unknown key: 404 even without authentication
		assertOctezError(await postSign(s.port, randomPkh('tz1'), op({ kind: 'attestation', level: 1, round: 0 })), 404, null, 'unknown key');
		// a magic byte not allowed: 403 even without authentication
		assertOctezError(await postSign(s.port, keys.tz1.pkh, Buffer.from('05deadbeef', 'hex')), 403, /magic byte/, 'magic byte');
	});
});

test('without -A: GET /authorized_keys is {} and requests need no authentication', async () => {
	const dir = await makeBaseDir('noauth');
	const k = await genKey(dir, 'na', 'tz1');
	const c = randomClient('tz1').signer;
	await cli(['keys', 'authorize', await c.publicKey(), '-d', dir]);
	const s = await startSigner(dir);
	try {
		const r = await request(s.port, 'GET', '/authorized_keys');
		assert.equal(r.status, 200);
		assert.deepEqual(r.json, {});
		const bytes = op({ kind: 'attestation', level: 5, round: 0 });
		const ok = await postSign(s.port, k.pkh, bytes);
		assert.equal(ok.status, 200, ok.text);
		assert.ok(verifySignature(bytes, k.publicKey, ok.json.signature));
	} finally {
		await s.stop();
	}
});

test('-A with no authorized key refuses to start and says why', async () => {
	const dir = await makeBaseDir('noauthkeys');
	await genKey(dir, 'x', 'tz1');
	const r = await serveMustFail(dir, ['-A']);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /authorized_keys/);
});
