// Moving from octez-signer (issue #3, design §2.2): octez's
// <base_dir>/{block,preattestation,attestation}_high_watermark files,
// written here by the test (not by tzsigner), are honoured by `serve` and
// shown by `tzsigner watermarks list`; `watermarks set` refuses to lower a
// watermark without --force and refuses while a signer runs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	importKey,
	cli,
	runCli,
	startSigner,
	postSign,
	assertOctezError,
	randomChainId,
} from './lib/signer.mjs';
import {
	MAINNET,
	op,
	chainIdBytes,
	chainIdB58,
	blake2b256Hex,
	randomClient,
	markerSignature,
	waitAuditMatch,
} from './lib/watermark.mjs';

const main = chainIdBytes(MAINNET);
let dir;
let tz1; // imported from a Taquito key, so Taquito can make the recorded signature
let tz2;
let otherChain;
const rec = {}; // what the octez files hold

// `watermarks list` parsed: CHAIN KEY KIND LEVEL ROUND RESERVED SIGNATURE
async function listWatermarks(d) {
	const { stdout } = await cli(['watermarks', 'list', '-d', d]);
	const lines = stdout.split('\n').filter((l) => l.trim() !== '');
	assert.match(lines[0], /^CHAIN\s+KEY\s+KIND\s+LEVEL\s+ROUND/, `header: ${lines[0]}`);
	return lines.slice(1).map((l) => {
		const [chain, pkh, kind, level, round, reserved, signature] = l.trim().split(/\s+/);
		return { chain, pkh, kind, level: Number(level), round, reserved, signature, line: l };
	});
}
const find = (list, chain, pkh, kind) => list.find((x) => x.chain === chain && x.pkh === pkh && x.kind === kind);

before(async () => {
	dir = await makeBaseDir('octezwm');
	const c = randomClient('tz1');
	tz1 = await importKey(dir, 'octez_tz1', `unencrypted:${c.secret}`);
	assert.equal(tz1.pkh, await c.signer.publicKeyHash());
	tz2 = await genKey(dir, 'octez_tz2', 'tz2');
	otherChain = randomChainId();

	// attestation (5000, 2) with the real signature of its bytes, by Taquito
	rec.att = op({ kind: 'attestation', level: 5000, round: 2, chainId: main });
	rec.attSig = (await c.signer.sign(rec.att.toString('hex'))).prefixSig;
	assert.ok(verifySignature(rec.att, tz1.publicKey, rec.attSig), 'Taquito\'s signature of the recorded bytes');
	// preattestation (5000, 1) with a marker: a "signature" only the file has
	rec.pre = op({ kind: 'preattestation', level: 5000, round: 1, chainId: main });
	rec.preSig = markerSignature('tz1');
	// on another chain, the same key's attestation is far higher
	rec.other = op({ kind: 'attestation', level: 9999, round: 0, chainId: otherChain });
	await writeFile(
		path.join(dir, 'attestation_high_watermark'),
		JSON.stringify({
			[MAINNET]: { [tz1.pkh]: { level: 5000, round: 2, hash: blake2b256Hex(rec.att), signature: rec.attSig } },
			[chainIdB58(otherChain)]: { [tz1.pkh]: { level: 9999, round: 0, hash: blake2b256Hex(rec.other), signature: markerSignature('tz1') } },
		}),
	);
	await writeFile(
		path.join(dir, 'preattestation_high_watermark'),
		JSON.stringify({ [MAINNET]: { [tz1.pkh]: { level: 5000, round: 1, hash: blake2b256Hex(rec.pre), signature: rec.preSig } } }),
	);
	// older records: no round (and for tz1 no hash or signature either)
	rec.blk2 = op({ kind: 'block', level: 4200, round: 0, chainId: main });
	await writeFile(
		path.join(dir, 'block_high_watermark'),
		JSON.stringify({
			[MAINNET]: {
				[tz1.pkh]: { level: 4000 },
				[tz2.pkh]: { level: 4200, hash: blake2b256Hex(rec.blk2), signature: markerSignature('tz2') },
			},
		}),
	);
});

after(removeTempDirs);

test('watermarks list shows octez\'s records before any signer ran', async () => {
	const l = await listWatermarks(dir);
	const a = find(l, MAINNET, tz1.pkh, 'attestation');
	assert.ok(a, `no attestation line for ${tz1.pkh}:\n${l.map((x) => x.line).join('\n')}`);
	assert.equal(a.level, 5000);
	assert.equal(a.round, '2');
	assert.ok(rec.attSig.startsWith(a.signature.replace(/…$/, '')), `signature column ${a.signature}`);
	const p = find(l, MAINNET, tz1.pkh, 'preattestation');
	assert.equal(p.level, 5000);
	assert.equal(p.round, '1');
	const b = find(l, MAINNET, tz1.pkh, 'block');
	assert.equal(b.level, 4000);
	assert.equal(b.round, 'all', 'a record without round covers the whole level');
	assert.equal(find(l, MAINNET, tz2.pkh, 'block').level, 4200);
	assert.equal(find(l, chainIdB58(otherChain), tz1.pkh, 'attestation').level, 9999);
});

test('serve honours octez\'s records: at or below refused, identical bytes re-answered with the recorded signature, higher signs', async () => {
	const s = await startSigner(dir);
	try {
		assert.match(s.stderr(), /event=octez_watermarks_loaded records=5\b/);
		const sign200 = async (key, bytes, what) => {
			const r = await postSign(s.port, key.pkh, bytes);
			assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
			assert.ok(verifySignature(bytes, key.publicKey, r.json.signature), `${what}: does not verify`);
			return r.json.signature;
		};
		const refuse = async (key, bytes, re, what) => assertOctezError(await postSign(s.port, key.pkh, bytes), 409, re, what);

		// attestation at (5000, 2)
		let r = await postSign(s.port, tz1.pkh, rec.att);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.signature, rec.attSig, 'identical bytes: not the recorded signature');
		await waitAuditMatch(s, { event: 'reanswered', pkh: tz1.pkh, kind: 'attestation', chain: MAINNET, op_level: 5000, op_round: 2, status: 200 });
		await refuse(tz1, op({ kind: 'attestation', level: 5000, round: 2, chainId: main }), /^attestation level 5000 and round 2 (not above high watermark \(5000, ?2\)|already signed with different)/, 'other bytes at (5000, 2)');
		await refuse(tz1, op({ kind: 'attestation', level: 5000, round: 1, chainId: main }), /^attestation level 5000 and round 1 not above high watermark \(5000, ?2\)/, '(5000, 1)');
		await refuse(tz1, op({ kind: 'attestation', level: 4999, round: 9, chainId: main }), /not above high watermark/, '(4999, 9)');

		// preattestation at (5000, 1): the re-answer is the file's marker, so
		// it can only have come from octez's file
		r = await postSign(s.port, tz1.pkh, rec.pre);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.signature, rec.preSig, 'identical bytes: not the signature recorded in preattestation_high_watermark');
		await waitAuditMatch(s, { event: 'reanswered', pkh: tz1.pkh, kind: 'preattestation', chain: MAINNET, op_level: 5000, op_round: 1, status: 200 });
		await refuse(tz1, op({ kind: 'preattestation', level: 5000, round: 1, chainId: main }), /^preattestation level 5000 and round 1/, 'other preattestation bytes at (5000, 1)');
		await refuse(tz1, op({ kind: 'preattestation', level: 5000, round: 0, chainId: main }), /not above high watermark/, 'preattestation (5000, 0)');

		// block records without a round: the whole level is taken (design §2.2:
		// only a strictly higher level signs), even the recorded bytes
		for (const round of [0, 7])
			await refuse(tz1, op({ kind: 'block', level: 4000, round, chainId: main }), /^block level 4000 and round \d+ not above high watermark/, `block (4000, ${round})`);
		await refuse(tz1, op({ kind: 'block', level: 3999, round: 0, chainId: main }), /not above high watermark/, 'block (3999, 0)');
		await refuse(tz2, op({ kind: 'block', level: 4200, round: 3, chainId: main, keyType: 'tz2' }), /not above high watermark/, 'tz2 block (4200, 3)');
		await refuse(tz2, rec.blk2, /not above high watermark/, 'tz2 block: the recorded bytes of a round-less record');

		// the other chain has its own record (9999): 5001 is below it there
		await refuse(tz1, op({ kind: 'attestation', level: 9999, round: 0, chainId: otherChain }), /not above|already signed/, 'other chain (9999, 0)');
		await refuse(tz1, op({ kind: 'attestation', level: 5001, round: 0, chainId: otherChain }), /^attestation level 5001 and round 0 not above high watermark \(9999, ?0\)/, 'other chain (5001, 0)');

		// higher ones sign
		await sign200(tz1, op({ kind: 'attestation', level: 5000, round: 3, chainId: main }), 'attestation (5000, 3)');
		await sign200(tz1, op({ kind: 'preattestation', level: 5001, round: 0, chainId: main }), 'preattestation (5001, 0)');
		await sign200(tz1, op({ kind: 'block', level: 4001, round: 0, chainId: main }), 'block (4001, 0)');
		await sign200(tz2, op({ kind: 'block', level: 4201, round: 0, chainId: main, keyType: 'tz2' }), 'tz2 block (4201, 0)');
		await sign200(tz1, op({ kind: 'attestation', level: 10000, round: 0, chainId: otherChain }), 'other chain (10000, 0)');
		await sign200(tz2, op({ kind: 'attestation', level: 1, round: 0, chainId: main, keyType: 'tz2' }), 'tz2 attestation without any record');

		// while the signer runs, `watermarks set` refuses (the base dir is locked)
		const busy = await runCli(['watermarks', 'set', '--chain', MAINNET, '--key', tz1.pkh, '--kind', 'attestation', '--level', '9000', '-d', dir]);
		assert.notEqual(busy.code, 0, `watermarks set succeeded while a signer runs: ${busy.stdout}`);
		assert.match(busy.stderr, /locked|another tzsigner/);
		// `list` still works (read-only) and shows what was just signed
		const l = await listWatermarks(dir);
		const a = find(l, MAINNET, tz1.pkh, 'attestation');
		assert.ok(a.level > 5000 || (a.level === 5000 && a.round === '3'), `attestation after signing (5000, 3): ${a.line}`);
	} finally {
		await s.stop();
	}
});

test('after the signer stopped: list shows the new records; set refuses to lower without --force, raises, and the signer honours it', async () => {
	let l = await listWatermarks(dir);
	const a = find(l, MAINNET, tz1.pkh, 'attestation');
	// at (5000, 3), the last signed; or above it if a reserved level is kept
	// (see watermark.test.mjs on clean restarts)
	assert.ok((a.level === 5000 && a.round === '3') || a.level > 5000, a.line);
	assert.ok(find(l, MAINNET, tz1.pkh, 'block').level >= 4001);

	const set = (...args) => runCli(['watermarks', 'set', '--chain', MAINNET, '--key', tz1.pkh, ...args, '-d', dir]);
	// lowering, by level or by round, is refused without --force
	for (const args of [['--kind', 'attestation', '--level', '100'], ['--kind', 'attestation', '--level', '5000', '--round', '1'], ['--kind', 'block', '--level', '3000', '--round', '0']]) {
		const r = await set(...args);
		assert.notEqual(r.code, 0, `watermarks set ${args.join(' ')} lowered without --force: ${r.stdout}`);
		assert.match(r.stderr, /lower.*--force/, r.stderr);
	}
	l = await listWatermarks(dir);
	assert.deepEqual(
		(({ level, round, reserved }) => ({ level, round, reserved }))(find(l, MAINNET, tz1.pkh, 'attestation')),
		{ level: a.level, round: a.round, reserved: a.reserved },
		'a refused set changed the watermark',
	);

	// raising needs no --force
	await cli(['watermarks', 'set', '--chain', MAINNET, '--key', tz1.pkh, '--kind', 'attestation', '--level', '6000', '--round', '4', '-d', dir]);
	l = await listWatermarks(dir);
	assert.equal(find(l, MAINNET, tz1.pkh, 'attestation').level, 6000);
	assert.equal(find(l, MAINNET, tz1.pkh, 'attestation').round, '4');

	const s = await startSigner(dir);
	try {
		assertOctezError(await postSign(s.port, tz1.pkh, op({ kind: 'attestation', level: 6000, round: 4, chainId: main })), 409, /not above high watermark \(6000, ?4\)/, '(6000, 4) after set');
		assertOctezError(await postSign(s.port, tz1.pkh, op({ kind: 'attestation', level: 5500, round: 0, chainId: main })), 409, /not above high watermark/, '(5500, 0) after set');
		const b = op({ kind: 'attestation', level: 6000, round: 5, chainId: main });
		const r = await postSign(s.port, tz1.pkh, b);
		assert.equal(r.status, 200, r.text);
		assert.ok(verifySignature(b, tz1.publicKey, r.json.signature));
	} finally {
		await s.stop();
	}
});

test('set --force lowers a watermark (a key moved), and the signer then signs above the new one', async () => {
	// tz2 has no octez record: its attestation watermark is tzsigner's alone
	const d = dir;
	const setTz2 = (...args) => runCli(['watermarks', 'set', '--chain', MAINNET, '--key', tz2.pkh, '--kind', 'attestation', ...args, '-d', d]);
	let s = await startSigner(d, ['--durability', 'sync']);
	try {
		const r = await postSign(s.port, tz2.pkh, op({ kind: 'attestation', level: 300, round: 0, chainId: main, keyType: 'tz2' }));
		assert.equal(r.status, 200, r.text);
	} finally {
		await s.stop();
	}
	const refused = await setTz2('--level', '200', '--round', '0');
	assert.notEqual(refused.code, 0);
	assert.match(refused.stderr, /--force/);
	const forced = await setTz2('--level', '200', '--round', '0', '--force');
	assert.equal(forced.code, 0, forced.stderr);
	const l = await listWatermarks(d);
	assert.equal(find(l, MAINNET, tz2.pkh, 'attestation').level, 200);
	s = await startSigner(d);
	try {
		assertOctezError(await postSign(s.port, tz2.pkh, op({ kind: 'attestation', level: 200, round: 0, chainId: main, keyType: 'tz2' })), 409, /not above/, '(200, 0)');
		const b = op({ kind: 'attestation', level: 250, round: 0, chainId: main, keyType: 'tz2' });
		const r = await postSign(s.port, tz2.pkh, b);
		assert.equal(r.status, 200, `(250, 0) after lowering to 200 with --force: ${r.text}`);
		assert.ok(verifySignature(b, tz2.publicKey, r.json.signature));
	} finally {
		await s.stop();
	}
});

test('tzsigner keeps the octez records in its own file (octez\'s files left as they were)', async () => {
	const ours = JSON.parse(await readFile(path.join(dir, 'tzsigner_high_watermarks.json'), 'utf8'));
	assert.ok(Array.isArray(ours.watermarks));
	const b = ours.watermarks.find((w) => w.chain === MAINNET && w.pkh === tz2.pkh && w.kind === 'block');
	assert.ok(b && b.level >= 4201, JSON.stringify(b));
	// octez's own file is read, not rewritten
	const octez = JSON.parse(await readFile(path.join(dir, 'preattestation_high_watermark'), 'utf8'));
	assert.deepEqual(octez[MAINNET][tz1.pkh].signature, rec.preSig);
});

test('set --force below a record that octez\'s file still holds: takes effect, or fails naming that file', async () => {
	// A `set` that says it lowered the watermark while serve and list keep
	// the octez record (merged at every start) would mislead the operator.
	const d = await makeBaseDir('octezforce');
	const k = await genKey(d, 'f', 'tz1');
	await writeFile(
		path.join(d, 'attestation_high_watermark'),
		JSON.stringify({ [MAINNET]: { [k.pkh]: { level: 5000, round: 2 } } }),
	);
	const r = await runCli(['watermarks', 'set', '--chain', MAINNET, '--key', k.pkh, '--kind', 'attestation', '--level', '10', '--round', '0', '--force', '-d', d]);
	const w = find(await listWatermarks(d), MAINNET, k.pkh, 'attestation');
	if (r.code === 0) {
		assert.deepEqual(
			{ level: w.level, round: w.round },
			{ level: 10, round: '0' },
			`watermarks set --force said "${r.stdout.trim()}" and exited 0, but watermarks list shows: ${w.line}`,
		);
	} else {
		assert.match(r.stderr, /attestation_high_watermark/, `set failed without naming octez's file: ${r.stderr}`);
		assert.equal(w.level, 5000);
	}
});
