// An octez-client base directory written by this test (not by tzsigner) is
// served unchanged: both forms of public_keys values, unencrypted and
// encrypted secrets. A secret_keys file readable by the group is refused.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { InMemorySigner } from '@taquito/signer';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	writePassFile,
	listKeys,
	startSigner,
	serveMustFail,
	sign,
	postSign,
	getPublicKey,
	consensusOp,
	blockHeader,
	encryptSecret,
	randomBlsSecretKey,
} from './lib/signer.mjs';

after(removeTempDirs);

const MNEMONIC =
	'glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin';
const PASS = 'octez base dir';
const FILES = ['secret_keys', 'public_keys', 'public_key_hashs'];

// Writes an octez-client base dir: returns [{name, signer, pkh, pk, storage}].
async function writeOctezDir(dir) {
	const keys = [
		{ name: 'baker_ed', signer: InMemorySigner.fromMnemonic({ mnemonic: MNEMONIC, derivationPath: "44'/1729'/7'/0'" }), enc: false, pkForm: 'object' },
		{ name: 'baker_sp', signer: InMemorySigner.fromMnemonic({ mnemonic: MNEMONIC, derivationPath: "44'/1729'/7'/0'", curve: 'secp256k1' }), enc: true, pkForm: 'string' },
		{ name: 'baker_p2', signer: InMemorySigner.fromMnemonic({ mnemonic: MNEMONIC, derivationPath: "44'/1729'/7'/0'", curve: 'p256' }), enc: false, pkForm: 'string' },
		{ name: 'consensus_bls', signer: new InMemorySigner(randomBlsSecretKey()), enc: true, pkForm: 'object' },
		{ name: 'companion_bls', signer: new InMemorySigner(randomBlsSecretKey()), enc: false, pkForm: 'string' },
	];
	const sks = [];
	const pks = [];
	const pkhs = [];
	for (const k of keys) {
		k.pk = await k.signer.publicKey();
		k.pkh = await k.signer.publicKeyHash();
		k.storage = k.enc ? 'encrypted' : 'unencrypted';
		const secret = await k.signer.secretKey();
		sks.push({ name: k.name, value: k.enc ? `encrypted:${encryptSecret(secret, PASS)}` : `unencrypted:${secret}` });
		pks.push({
			name: k.name,
			value: k.pkForm === 'object' ? { locator: `unencrypted:${k.pk}`, key: k.pk } : `unencrypted:${k.pk}`,
		});
		pkhs.push({ name: k.name, value: k.pkh });
	}
	// octez-client writes pretty JSON; keep its look.
	await writeFile(path.join(dir, 'secret_keys'), JSON.stringify(sks, null, 2), { mode: 0o600 });
	await writeFile(path.join(dir, 'public_keys'), JSON.stringify(pks, null, 2), { mode: 0o644 });
	await writeFile(path.join(dir, 'public_key_hashs'), JSON.stringify(pkhs, null, 2), { mode: 0o644 });
	await chmod(path.join(dir, 'secret_keys'), 0o600);
	return keys;
}

async function snapshot(dir) {
	const out = {};
	for (const f of FILES) {
		out[f] = await readFile(path.join(dir, f), 'utf8');
		out[`${f}.mode`] = (await stat(path.join(dir, f))).mode & 0o777;
	}
	return out;
}

test('an octez-client base dir written by the test is listed and served unchanged', async () => {
	const dir = await makeBaseDir('octez');
	const keys = await writeOctezDir(dir);
	const pf = await writePassFile(await makeBaseDir('pass'), PASS);
	const before = await snapshot(dir);

	const listed = await listKeys(dir);
	assert.equal(listed.length, keys.length);
	for (const k of keys) {
		const l = listed.find((e) => e.name === k.name);
		assert.ok(l, `${k.name} not listed`);
		assert.deepEqual([l.pkh, l.publicKey, l.storage], [k.pkh, k.pk, k.storage], k.name);
	}

	const s = await startSigner(dir, ['-f', pf]);
	try {
		for (const k of keys) {
			assert.equal(await getPublicKey(s.port, k.pkh), k.pk, k.name);
			const bls = k.pk.startsWith('BLpk');
			for (const msg of [consensusOp({ magic: 0x13, tag: bls ? 41 : 21 }), consensusOp({ magic: 0x12, tag: bls ? 40 : 20 }), blockHeader()]) {
				const sig = await sign(s.port, k.pkh, msg);
				assert.ok(verifySignature(msg, k.pk, sig), `${k.name}: signature does not verify`);
				assert.equal(sig, (await k.signer.sign(msg.toString('hex'))).prefixSig, `${k.name}: differs from Taquito`);
			}
		}
	} finally {
		await s.stop();
	}
	assert.deepEqual(await snapshot(dir), before, 'serving changed the key files');
});

test('serve refuses a secret_keys file readable by the group, and says chmod 600', async () => {
	const dir = await makeBaseDir('perm');
	await writeOctezDir(dir);
	const pf = await writePassFile(await makeBaseDir('pass'), PASS);
	await chmod(path.join(dir, 'secret_keys'), 0o640);
	const r = await serveMustFail(dir, ['-f', pf]);
	assert.notEqual(r.code, 0, `serve exited ${r.code}`);
	assert.match(r.stderr, /chmod 600/, `no "chmod 600" hint in: ${r.stderr}`);
	assert.equal((await stat(path.join(dir, 'secret_keys'))).mode & 0o777, 0o640, 'serve changed the mode itself');

	// World-readable too.
	await chmod(path.join(dir, 'secret_keys'), 0o604);
	const r2 = await serveMustFail(dir, ['-f', pf]);
	assert.match(r2.stderr, /chmod 600/);

	// And once fixed, it starts.
	await chmod(path.join(dir, 'secret_keys'), 0o600);
	const s = await startSigner(dir, ['-f', pf]);
	await s.stop();
});

test('a wrong passphrase: serve either refuses to start or never signs with the keys it could not decrypt', async () => {
	const dir = await makeBaseDir('wrongpass');
	const keys = await writeOctezDir(dir);
	const pf = await writePassFile(await makeBaseDir('pass'), 'not the passphrase');
	let s;
	try {
		s = await startSigner(dir, ['-f', pf]);
	} catch (e) {
		if (e.code === undefined) throw e;
		assert.notEqual(e.code, 0);
		assert.ok(e.stderr.trim().length > 0, 'no message');
		assert.doesNotMatch(e.stderr, /not the passphrase/, 'the passphrase was logged');
		return;
	}
	try {
		for (const k of keys.filter((x) => x.storage === 'encrypted')) {
			const r = await postSign(s.port, k.pkh, consensusOp({ magic: 0x13, tag: k.pk.startsWith('BLpk') ? 41 : 21 }));
			assert.notEqual(r.status, 200, `${k.name} signed although its passphrase is wrong: ${r.text}`);
		}
	} finally {
		await s.stop();
	}
	assert.doesNotMatch(s.stderr(), /not the passphrase/, 'the passphrase was logged');
});

test('serve refuses a passphrase file readable by others, and says chmod 600', async () => {
	const dir = await makeBaseDir('passperm');
	await writeOctezDir(dir);
	const pf = await writePassFile(await makeBaseDir('pass'), PASS);
	await chmod(pf, 0o644);
	const r = await serveMustFail(dir, ['-f', pf]);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /chmod 600/, `no "chmod 600" hint in: ${r.stderr}`);
	assert.doesNotMatch(r.stderr, new RegExp(PASS), 'the passphrase was logged');
});
