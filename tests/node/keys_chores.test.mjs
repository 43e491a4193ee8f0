// Key chores a baker does by hand: one secret under two names is refused at
// import (naming the entry it already is), and `keys remove` deletes an alias
// from octez's three files while its high watermark records stay, so the
// same key imported again cannot sign below what it already signed.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	listKeys,
	runCli,
	cli,
	startSigner,
	postSign,
	consensusOp,
	randomChainId,
} from './lib/signer.mjs';

after(removeTempDirs);

const FILES = ['secret_keys', 'public_keys', 'public_key_hashs'];
const read = (dir, f) => readFile(path.join(dir, f), 'utf8');

async function secretOf(dir, name) {
	const sks = JSON.parse(await read(dir, 'secret_keys'));
	return sks.find((e) => e.name === name).value;
}

test('keys import: the same secret under a second name is refused, naming the first', async () => {
	const dir = await makeBaseDir('dupimport');
	const a = await genKey(dir, 'alpha', 'tz1');
	const secret = await secretOf(dir, 'alpha');
	const before = await Promise.all(FILES.map((f) => read(dir, f)));
	for (const form of [secret, secret.slice('unencrypted:'.length)]) {
		const r = await runCli(['keys', 'import', 'beta', '-', '-d', dir], { input: `${form}\n` });
		assert.notEqual(r.code, 0, `the secret of alpha was imported again as beta (${form.slice(0, 12)}…)`);
		assert.match(r.stderr, /already in .* as 'alpha'/, r.stderr);
		assert.ok(r.stderr.includes(a.pkh), `the refusal does not name the key ${a.pkh}: ${r.stderr}`);
		assert.match(r.stderr, /keys remove alpha/, r.stderr);
	}
	assert.deepEqual(await Promise.all(FILES.map((f) => read(dir, f))), before, 'a refused import changed the key files');
	// The same name again with --force is a replacement, not a duplicate.
	await cli(['keys', 'import', 'alpha', '-', '--force', '-d', dir], { input: `${secret}\n` });
	assert.deepEqual((await listKeys(dir)).map((k) => k.name), ['alpha']);
	// And serve, which refuses two names for one key, starts.
	const s = await startSigner(dir);
	await s.stop();
});

test('keys remove: the alias leaves all three files, its watermark stays and still binds', async () => {
	const dir = await makeBaseDir('remove');
	const a = await genKey(dir, 'alpha', 'tz1');
	const b = await genKey(dir, 'beta', 'tz1');
	const secret = await secretOf(dir, 'alpha');
	const chainId = randomChainId();
	let s = await startSigner(dir);
	const r0 = await postSign(s.port, a.pkh, consensusOp({ chainId, level: 500, round: 1 }));
	assert.equal(r0.status, 200, r0.text);
	await s.stop();

	const r = await cli(['keys', 'remove', 'alpha', '-d', dir]);
	assert.match(r.stdout, new RegExp(`removed alpha ${a.pkh} .*high watermark records stay`), r.stdout);
	for (const f of FILES) {
		const list = JSON.parse(await read(dir, f));
		assert.deepEqual(list.map((e) => e.name), ['beta'], `${f} after remove: ${JSON.stringify(list)}`);
	}
	assert.ok((await read(dir, 'tzsigner_high_watermarks.json')).includes(a.pkh), 'the watermark record of alpha is gone');
	const again = await runCli(['keys', 'remove', 'alpha', '-d', dir]);
	assert.notEqual(again.code, 0, 'removing a missing key succeeded');
	assert.match(again.stderr, /no key named 'alpha'/, again.stderr);

	// Imported again under another name, the key keeps its history.
	await cli(['keys', 'import', 'gamma', '-', '-d', dir], { input: `${secret}\n` });
	s = await startSigner(dir);
	const low = await postSign(s.port, a.pkh, consensusOp({ chainId, level: 500, round: 0 }));
	assert.equal(low.status, 409, `a removed and re-imported key signed below its watermark: ${low.text}`);
	const ok = await postSign(s.port, b.pkh, consensusOp({ chainId, level: 500, round: 0 }));
	assert.equal(ok.status, 200, ok.text);
	await s.stop();
});
