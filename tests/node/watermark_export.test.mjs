// `tzsigner watermarks export` and `import` (issue 13): a box moved to new
// hardware keeps every watermark. export -> a new base dir with the same
// keys -> import -> serve: below each record 409, at it identical bytes get
// the identical signature back, other bytes 409. Import only raises, and
// refuses while a signer runs.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	cloneBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	postSign,
	assertOctezError,
	runCli,
	cli,
	randomChainId,
} from './lib/signer.mjs';
import { op } from './lib/watermark.mjs';

after(removeTempDirs);

test('export -> new base dir -> import -> serve honours every record', async () => {
	const a = await makeBaseDir('export');
	const keys = { tz1: await genKey(a, 'e1', 'tz1'), tz4: await genKey(a, 'e4', 'tz4') };
	const chainId = randomChainId();
	const signed = []; // {type, kind, level, round, bytes, signature}
	let s = await startSigner(a);
	try {
		let level = 500;
		for (const type of ['tz1', 'tz4']) {
			for (const kind of ['block', 'preattestation', 'attestation']) {
				level += 3; // jumping levels
				const round = level % 3;
				const bytes = op({ kind, level, round, chainId, keyType: type });
				const r = await postSign(s.port, keys[type].pkh, bytes);
				assert.equal(r.status, 200, r.text);
				assert.ok(verifySignature(bytes, keys[type].publicKey, r.json.signature));
				signed.push({ type, kind, level, round, bytes, signature: r.json.signature });
			}
		}
	} finally {
		await s.stop();
	}
	const { stdout } = await cli(['watermarks', 'export', '-d', a]);
	const exported = JSON.parse(stdout);
	assert.equal(exported.version, 1);
	for (const x of signed) {
		const rec = exported.watermarks.find((w) => w.pkh === keys[x.type].pkh && w.kind === x.kind);
		assert.ok(rec, `no exported record for ${x.type} ${x.kind}`);
		assert.deepEqual([rec.level, rec.round, rec.signature], [x.level, x.round, x.signature]);
	}
	const file = path.join(a, 'backup.json');
	await writeFile(file, stdout, { mode: 0o600 });

	const b = await cloneBaseDir(a, 'import');
	// refused while a signer runs on the target
	s = await startSigner(b);
	try {
		const r = await runCli(['watermarks', 'import', file, '-d', b]);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /locked by process \d+/, r.stderr);
	} finally {
		await s.stop();
	}
	await cli(['watermarks', 'import', file, '-d', b]);
	s = await startSigner(b);
	try {
		for (const x of signed) {
			const pkh = keys[x.type].pkh;
			const what = `${x.type} ${x.kind} (${x.level}, ${x.round})`;
			const again = await postSign(s.port, pkh, x.bytes);
			assert.equal(again.status, 200, `${what} identical bytes: ${again.text}`);
			assert.equal(again.json.signature, x.signature, `${what}: not the recorded signature`);
			const other = op({ kind: x.kind, level: x.level, round: x.round, chainId, keyType: x.type, slot: 9 });
			assertOctezError(await postSign(s.port, pkh, other), 409, /already signed|not above/, `${what} other bytes`);
			const below = op({ kind: x.kind, level: x.level - 1, round: 0, chainId, keyType: x.type });
			assertOctezError(await postSign(s.port, pkh, below), 409, /not above/, `${what} one level below`);
		}
	} finally {
		await s.stop();
	}
	// importing an older export later never lowers anything
	await writeFile(file, JSON.stringify({ version: 1, watermarks: exported.watermarks.map((w) => ({ chain: w.chain, pkh: w.pkh, kind: w.kind, level: 1 })) }));
	await cli(['watermarks', 'import', file, '-d', b]);
	const after2 = JSON.parse((await cli(['watermarks', 'export', '-d', b])).stdout);
	for (const x of signed) {
		const rec = after2.watermarks.find((w) => w.pkh === keys[x.type].pkh && w.kind === x.kind);
		assert.ok(rec.level >= x.level, `${x.type} ${x.kind} lowered to ${rec.level} by an import`);
	}
});
