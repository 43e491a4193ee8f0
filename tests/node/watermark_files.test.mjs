// The high watermark store against its own files, through `tzsigner serve`
// (issue 13): each scenario that double-signed or misbehaved is now refused
// or survived. Run as root; a second, unprivileged user (tzsigner-test,
// created with useradd when missing) plays the other local user.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, unlink, chmod, chown, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import { bls12_381 } from '@noble/curves/bls12-381';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	serveMustFail,
	postSign,
	assertOctezError,
	randomChainId,
	publicKeyBytes,
	signatureBytes,
	assertStderrSoon,
} from './lib/signer.mjs';
import { op, chainIdB58, MAINNET, sleep } from './lib/watermark.mjs';

const FILE = 'tzsigner_high_watermarks.json';
const OTHER_USER = 'tzsigner-test';
let otherUid;

before(() => {
	assert.equal(process.getuid(), 0, 'these tests need root (chown, a second user)');
	try {
		execFileSync('id', ['-u', OTHER_USER], { stdio: 'pipe' });
	} catch {
		execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OTHER_USER]);
	}
	otherUid = Number(execFileSync('id', ['-u', OTHER_USER]).toString().trim());
	assert.ok(otherUid > 0);
});
after(removeTempDirs);

const asOther = (cmd) => execFileSync('runuser', ['-u', OTHER_USER, '--', 'sh', '-c', cmd], { stdio: 'pipe' });

async function signOk(s, pkh, bytes, query = '') {
	const r = await postSign(s.port, pkh, bytes, { query });
	assert.equal(r.status, 200, r.text);
	return r.json.signature;
}

test('a deleted lock file no longer lets a second serve run: the lock is the directory itself, holder named', async () => {
	const dir = await makeBaseDir('lock');
	await genKey(dir, 'k', 'tz1');
	const a = await startSigner(dir);
	try {
		for (const f of ['tzsigner.lock']) await unlink(path.join(dir, f)).catch(() => {});
		const b = await serveMustFail(dir);
		assert.notEqual(b.code, 0);
		assert.match(b.stderr, new RegExp(`locked by process ${a.pid}\\b`), b.stderr);
	} finally {
		await a.stop();
	}
});

for (const durability of ['reserve', 'sync']) {
	test(`--durability ${durability}: the watermark file deleted or replaced while serving is rewritten before the next signature; a crash after it signs nothing twice`, async () => {
		const dir = await makeBaseDir(`del-${durability}`);
		const k = await genKey(dir, 'k', 'tz1');
		const chainId = randomChainId();
		const file = path.join(dir, FILE);
		let s = await startSigner(dir, ['--durability', durability]);
		try {
			for (let l = 100; l <= 105; l++) await signOk(s, k.pkh, op({ kind: 'attestation', level: l, round: 0, chainId }));
			await sleep(300); // no write of our own under way: the next request must notice
			await unlink(file);
			await signOk(s, k.pkh, op({ kind: 'attestation', level: 106, round: 0, chainId }));
			await stat(file); // written again
			await assertStderrSoon(s, /event=watermark_file_deleted\b.*action=rewrite/);
			// replaced by a file that protects nothing
			await sleep(300);
			await writeFile(`${file}.evil`, JSON.stringify({ version: 1, watermarks: [] }), { mode: 0o600 });
			await rename(`${file}.evil`, file);
			await signOk(s, k.pkh, op({ kind: 'attestation', level: 107, round: 0, chainId }));
			await assertStderrSoon(s, /event=watermark_file_replaced\b.*action=rewrite/);
			s.kill('SIGKILL');
			await s.exited;
		} catch (e) {
			s.kill('SIGKILL');
			throw e;
		}
		s = await startSigner(dir, ['--durability', durability]);
		try {
			for (let l = 100; l <= 107; l++)
				assertOctezError(await postSign(s.port, k.pkh, op({ kind: 'attestation', level: l, round: 0, chainId, slot: 7 })), 409, /not above|already signed/, `level ${l} after the crash`);
		} finally {
			await s.stop();
		}
	});
}

test('a missing watermark file in a directory used before is refused at start; --init starts', async () => {
	const dir = await makeBaseDir('missing');
	const k = await genKey(dir, 'k', 'tz1');
	let s = await startSigner(dir);
	await signOk(s, k.pkh, op({ kind: 'block', level: 50, round: 0, chainId: randomChainId() }));
	await s.stop();
	await unlink(path.join(dir, FILE));
	const r = await serveMustFail(dir);
	assert.match(r.stderr, /tzsigner_high_watermarks\.json is missing.*used before.*--init/, r.stderr);
	s = await startSigner(dir, ['--init']);
	assert.match(s.stderr(), /event=watermarks_reinitialised/);
	await s.stop();
});

test('files and directories another user could change are refused with the fix', async () => {
	const dir = await makeBaseDir('owner');
	await genKey(dir, 'k', 'tz1');
	let s = await startSigner(dir);
	await s.stop();
	// the base directory writable by others: the other user could replace the file
	await chmod(dir, 0o777);
	asOther(`echo '{"version":1,"watermarks":[]}' > ${dir}/evil && mv -f ${dir}/evil ${dir}/${FILE}`);
	let r = await serveMustFail(dir);
	assert.match(r.stderr, new RegExp(`directory ${dir} has mode 0777.*fix with: chmod go-w ${dir}`), r.stderr);
	await chmod(dir, 0o700);
	// the file they left behind is theirs
	r = await serveMustFail(dir);
	assert.match(r.stderr, new RegExp(`owned by uid ${otherUid}.*fix with: chown 0 ${dir}/${FILE}`), r.stderr);
	await chown(path.join(dir, FILE), 0, 0);
	// a directory that is 0700 and ours: the other user cannot touch it
	assert.throws(() => asOther(`touch ${dir}/${FILE}`));
	s = await startSigner(dir);
	await s.stop();
	// octez's file, authorized_keys, tzsigner_policy.json
	for (const [name, text, extra] of [
		['attestation_high_watermark', '{}', []],
		['authorized_keys', '[]', ['-A']],
		['tzsigner_policy.json', '{"keys": {}}', []],
	]) {
		const f = path.join(dir, name);
		await writeFile(f, text, { mode: 0o600 });
		await chown(f, otherUid, otherUid);
		r = await serveMustFail(dir, extra);
		assert.match(r.stderr, new RegExp(`${name}: owned by uid ${otherUid}.*chown`), r.stderr);
		await chown(f, 0, 0);
		await chmod(f, 0o666);
		r = await serveMustFail(dir, extra);
		assert.match(r.stderr, new RegExp(`${name}: mode 0666.*chmod go-w`), r.stderr);
		await unlink(f);
	}
});

test('duplicate keys and unknown versions in the watermark file are refused', async () => {
	const dir = await makeBaseDir('dup');
	const k = await genKey(dir, 'k', 'tz1');
	const rec = `"chain":"${MAINNET}","pkh":"${k.pkh}","kind":"attestation"`;
	for (const [text, re] of [
		[`{"version":1,"watermarks":[{${rec},"level":1000,"level":5}]}`, /twice/],
		[`{"version":99,"watermarks":[]}`, /"version" is not 1/],
	]) {
		await writeFile(path.join(dir, FILE), text, { mode: 0o600 });
		const r = await serveMustFail(dir);
		assert.match(r.stderr, re, r.stderr);
	}
});

test('a FIFO at a watermark path does not hang start-up', async () => {
	for (const name of [FILE, 'block_high_watermark']) {
		const dir = await makeBaseDir('fifo');
		await genKey(dir, 'k', 'tz1');
		execFileSync('mkfifo', [path.join(dir, name)]);
		const r = await serveMustFail(dir, [], { timeoutMs: 10_000 });
		assert.match(r.stderr, new RegExp(`${name}: not a regular file`), r.stderr);
	}
});

test('a tz4 re-answer is in the scheme asked by ?version=', async () => {
	const dir = await makeBaseDir('scheme');
	const k = await genKey(dir, 'k', 'tz4');
	const pk = publicKeyBytes(k.publicKey);
	const bls = bls12_381.longSignatures;
	const augOk = (sig, msg) =>
		bls.verify(signatureBytes(sig), bls.hash(Buffer.concat([pk, msg]), 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_'), pk);
	for (const durability of ['reserve', 'sync']) {
		const s = await startSigner(dir, ['--durability', durability]);
		try {
			const msg = op({ kind: 'attestation', level: 300 + (durability === 'sync' ? 10 : 0), round: 0, chainId: randomChainId(), keyType: 'tz4' });
			const pop = await signOk(s, k.pkh, msg, '?version=2');
			assert.ok(verifySignature(msg, k.publicKey, pop));
			const aug = await signOk(s, k.pkh, msg, '?version=1');
			assert.notEqual(aug, pop);
			assert.ok(augOk(aug, msg), 'the version=1 re-answer is not an AUG signature');
			assert.equal(await signOk(s, k.pkh, msg, '?version=1'), aug);
			assert.equal(await signOk(s, k.pkh, msg, '?version=2'), pop);
			assert.equal(await signOk(s, k.pkh, msg), pop);
		} finally {
			await s.stop();
		}
	}
});

test('without --chain, at most 1,024 chains get watermarks; the baker\'s chain keeps signing; a new chain costs one append, not a rewrite', async () => {
	const CAP = 1024;
	const dir = await makeBaseDir('chains');
	const k = await genKey(dir, 'k', 'tz1');
	const s = await startSigner(dir);
	try {
		const main = randomChainId();
		await signOk(s, k.pkh, op({ kind: 'attestation', level: 10, round: 0, chainId: main }));
		let refused = 0;
		const seen = new Set([main.toString('hex')]);
		for (let i = 0; i < CAP + 8; i++) {
			let chainId;
			do chainId = randomChainId();
			while (seen.has(chainId.toString('hex')));
			seen.add(chainId.toString('hex'));
			const r = await postSign(s.port, k.pkh, op({ kind: 'attestation', level: 10, round: 0, chainId }));
			if (r.status === 403) {
				assert.match(r.text, /over the cap of 1024.*--chain/);
				refused++;
			} else assert.equal(r.status, 200, r.text);
		}
		assert.equal(refused, CAP + 8 - (CAP - 1));
		await signOk(s, k.pkh, op({ kind: 'attestation', level: 11, round: 0, chainId: main }));
		// the file written at start was not rewritten for each chain: the
		// chains went to the journal, one append each
		const snapshot = JSON.parse(await readFile(path.join(dir, FILE), 'utf8')).watermarks.length;
		assert.ok(snapshot < 3 * CAP, `${snapshot} records in the snapshot: everything rewritten at each write`);
		const journal = (await stat(path.join(dir, 'tzsigner_high_watermarks.journal'))).size;
		assert.ok(journal > 0 && journal % 256 === 0, `journal of ${journal} bytes`);
	} finally {
		await s.stop();
	}
	void chainIdB58;
});
