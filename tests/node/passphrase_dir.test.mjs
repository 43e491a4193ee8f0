// Encrypted keys with a passphrase each: `serve --passphrase-dir DIR` reads
// DIR/NAME per key, systemd's LoadCredential= directory form
// ($CREDENTIALS_DIRECTORY/passphrase_NAME) is found without any option, and a
// wrong passphrase stops serve with a message naming the key and the file.
// Each signature is checked by Taquito against the key's public key.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	writePassFile,
	genKey,
	startSigner,
	serveMustFail,
	sign,
	consensusOp,
	ENV,
} from './lib/signer.mjs';

after(removeTempDirs);

async function twoKeys() {
	const dir = await makeBaseDir('passdir');
	const gen = await makeBaseDir('passgen');
	const a = await genKey(dir, 'alpha', 'tz1', { encrypt: true, passFile: await writePassFile(gen, 'first words', 'a') });
	const b = await genKey(dir, 'beta', 'tz3', { encrypt: true, passFile: await writePassFile(gen, 'second words', 'b') });
	assert.equal(a.storage, 'encrypted');
	return { dir, a, b };
}

async function signsWith(s, key) {
	const bytes = consensusOp({ level: 77, round: 0 });
	const sig = await sign(s.port, key.pkh, bytes);
	assert.ok(verifySignature(bytes.toString('hex'), key.publicKey, sig), `${key.name}: signature does not verify`);
}

test('serve --passphrase-dir: one passphrase file per key', async () => {
	const { dir, a, b } = await twoKeys();
	const pd = await makeBaseDir('passphrases');
	await writePassFile(pd, 'first words', 'alpha');
	await writePassFile(pd, 'second words', 'beta');
	const s = await startSigner(dir, ['--passphrase-dir', pd]);
	await signsWith(s, a);
	await signsWith(s, b);
	await s.stop();
});

test('serve under systemd: $CREDENTIALS_DIRECTORY/passphrase_NAME, no option', async () => {
	const { dir, a, b } = await twoKeys();
	const creds = await makeBaseDir('credentials');
	await writePassFile(creds, 'first words', 'passphrase_alpha');
	await writePassFile(creds, 'second words', 'passphrase_beta');
	ENV.CREDENTIALS_DIRECTORY = creds;
	try {
		const s = await startSigner(dir);
		await signsWith(s, a);
		await signsWith(s, b);
		await s.stop();
	} finally {
		delete ENV.CREDENTIALS_DIRECTORY;
	}
});

test('a wrong passphrase names the key and the file; a missing one names the directory', async () => {
	const { dir } = await twoKeys();
	const pd = await makeBaseDir('wrongpass');
	await writePassFile(pd, 'first words', 'alpha');
	const wrong = await writePassFile(pd, 'not these words', 'beta');
	const r = await serveMustFail(dir, ['--passphrase-dir', pd]);
	assert.notEqual(r.code, 0);
	assert.ok(r.stderr.includes(`key 'beta' with the passphrase from ${wrong}`), r.stderr);
	assert.match(r.stderr, /wrong passphrase/, r.stderr);
	const pd2 = await makeBaseDir('missingpass');
	await mkdir(path.join(pd2, 'x'));
	await writePassFile(pd2, 'first words', 'alpha');
	const m = await serveMustFail(dir, ['--passphrase-dir', pd2]);
	assert.ok(m.stderr.includes(`key 'beta' is encrypted and ${pd2} has no file beta`), m.stderr);
});
