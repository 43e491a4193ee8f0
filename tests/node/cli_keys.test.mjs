// `tzsigner keys` against independent oracles: the files it writes are the
// octez format, the public key hashes are what Taquito derives, and an
// encrypted key it writes is decrypted by Taquito's InMemorySigner.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InMemorySigner } from '@taquito/signer';
import { getPkhfromPk, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	writePassFile,
	genKey,
	listKeys,
	showKey,
	runCli,
	SCHEMES,
	encryptSecret,
} from './lib/signer.mjs';

after(removeTempDirs);

async function readJson(dir, file) {
	return JSON.parse(await readFile(path.join(dir, file), 'utf8'));
}

function entry(list, name) {
	assert.ok(Array.isArray(list), 'key file is not a JSON array');
	const found = list.filter((e) => e.name === name);
	assert.equal(found.length, 1, `exactly one entry named ${name} expected in ${JSON.stringify(list)}`);
	return found[0].value;
}

for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) {
	test(`keys gen --type ${type} writes octez key files that Taquito agrees with`, async () => {
		const dir = await makeBaseDir('gen');
		const k = await genKey(dir, `k_${type}`, type);
		const s = SCHEMES[type];

		assert.ok(k.pkh.startsWith(type), `pkh ${k.pkh} is not a ${type}`);
		assert.ok(k.publicKey.startsWith(s.pk), `public key ${k.publicKey} is not a ${s.pk}`);
		assert.equal(k.storage, 'unencrypted');
		assert.equal(getPkhfromPk(k.publicKey), k.pkh, 'pkh is not blake2b-160 of the public key');

		const sks = await readJson(dir, 'secret_keys');
		const pks = await readJson(dir, 'public_keys');
		const pkhs = await readJson(dir, 'public_key_hashs');
		const skv = entry(sks, k.name);
		assert.match(skv, /^unencrypted:/);
		const secret = skv.slice('unencrypted:'.length);
		// The secret decodes with the right prefix and Taquito derives the same keys.
		b58DecodeAndCheckPrefix(secret, [type === 'tz1' ? PrefixV2.Ed25519Seed : s.sk, PrefixV2.Ed25519SecretKey]);
		const taq = new InMemorySigner(secret);
		assert.equal(await taq.publicKey(), k.publicKey);
		assert.equal(await taq.publicKeyHash(), k.pkh);

		const pkv = entry(pks, k.name);
		assert.deepEqual(pkv, { locator: `unencrypted:${k.publicKey}`, key: k.publicKey });
		assert.equal(entry(pkhs, k.name), k.pkh);

		const st = await stat(path.join(dir, 'secret_keys'));
		assert.equal(st.mode & 0o777, 0o600, `secret_keys mode is ${(st.mode & 0o777).toString(8)}`);

		// keys show, by name and by pkh.
		for (const sel of [k.name, k.pkh]) {
			const sh = await showKey(dir, sel);
			const text = JSON.stringify(sh);
			assert.ok(Object.values(sh).includes(k.name), `keys show ${sel} lacks the name: ${text}`);
			assert.ok(Object.values(sh).includes(k.pkh), `keys show ${sel} lacks the pkh: ${text}`);
			assert.ok(Object.values(sh).includes(k.publicKey), `keys show ${sel} lacks the public key: ${text}`);
			assert.ok(Object.values(sh).includes('unencrypted'), `keys show ${sel} lacks the storage: ${text}`);
		}
	});
}

for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) {
	test(`keys gen --type ${type} --encrypt: Taquito decrypts the key with the passphrase`, async () => {
		const dir = await makeBaseDir('genenc');
		const pass = `pass phrase ${type} ü ${Math.random()}`;
		const pf = await writePassFile(dir, pass);
		const k = await genKey(dir, `e_${type}`, type, { encrypt: true, passFile: pf });
		assert.equal(k.storage, 'encrypted');
		const skv = entry(await readJson(dir, 'secret_keys'), k.name);
		assert.match(skv, /^encrypted:/);
		const blob = skv.slice('encrypted:'.length);
		const [payload] = b58DecodeAndCheckPrefix(blob, [SCHEMES[type].esk]);
		assert.equal(payload.length, 56, 'encrypted payload is not 8 salt + 48 secretbox bytes');
		const taq = new InMemorySigner(blob, pass);
		assert.equal(await taq.publicKey(), k.publicKey, 'Taquito decrypts a different key');
		assert.equal(await taq.publicKeyHash(), k.pkh);
		assert.throws(() => new InMemorySigner(blob, pass + 'x'), 'a wrong passphrase must not decrypt');
		// The passphrase never reaches the files.
		for (const f of ['secret_keys', 'public_keys', 'public_key_hashs']) {
			assert.ok(!(await readFile(path.join(dir, f), 'utf8')).includes(pass));
		}
	});
}

test('keys gen: several keys coexist; a duplicate name is refused; an unknown type is refused', async () => {
	const dir = await makeBaseDir('multi');
	const a = await genKey(dir, 'alpha', 'tz1');
	const b = await genKey(dir, 'beta', 'tz4');
	const keys = await listKeys(dir);
	assert.deepEqual(keys.map((k) => k.name).sort(), ['alpha', 'beta']);
	assert.notEqual(a.pkh, b.pkh);
	const before = await readFile(path.join(dir, 'secret_keys'), 'utf8');
	const dup = await runCli(['keys', 'gen', 'alpha', '--type', 'tz2', '-d', dir]);
	assert.notEqual(dup.code, 0, 'a second key named alpha was accepted');
	assert.equal(await readFile(path.join(dir, 'secret_keys'), 'utf8'), before, 'a refused gen changed secret_keys');
	const bad = await runCli(['keys', 'gen', 'gamma', '--type', 'tz9', '-d', dir]);
	assert.notEqual(bad.code, 0, '--type tz9 was accepted');
	assert.ok(bad.stderr.length > 0, 'no message for --type tz9');
});

test('keys import: refuses a malformed secret and a wrong passphrase', async () => {
	const dir = await makeBaseDir('badimport');
	const r1 = await runCli(['keys', 'import', 'x', 'edsknotakey', '-d', dir]);
	assert.notEqual(r1.code, 0, 'a malformed secret key was imported');
	assert.ok(r1.stderr.length > 0);
	// A valid edesk with the wrong passphrase.
	const signer = InMemorySigner.fromMnemonic({
		mnemonic:
			'glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin',
	});
	const enc = encryptSecret(await signer.secretKey(), 'right');
	const pf = await writePassFile(dir, 'wrong');
	const r2 = await runCli(['keys', 'import', 'y', `encrypted:${enc}`, '-f', pf, '-d', dir]);
	assert.notEqual(r2.code, 0, 'an encrypted key was imported with the wrong passphrase');
	assert.ok(r2.stderr.length > 0);
	assert.deepEqual(await listKeys(dir).catch(() => []), []);
});
