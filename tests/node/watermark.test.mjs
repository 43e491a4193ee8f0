// High watermarks over HTTP (issue #3, design §2.2): the rule itself is
// unit-tested in C; here a table of request sequences shows that the daemon
// applies it, per (chain, key, kind), with octez's 409 answers, one audit
// line per decision, and the same behaviour across a clean restart — for
// both durability designs (--durability reserve, the default, and sync).
//
// Each case runs on a fresh random chain id, so cases do not see each other.
// A step sends bytes and expects one of:
//   sign      200, a fresh signature that verifies (Taquito verifySignature)
//   reanswer  200, exactly the signature of an earlier step (same bytes)
//   refuse    409, octez's error shape, a message naming the problem

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	postSign,
	assertOctezError,
	randomChainId,
	parseLevelRound,
} from './lib/signer.mjs';
import { op, chainIdB58, auditLines, waitAudit } from './lib/watermark.mjs';

// "… level L and round R not above high watermark (L', R')" (octez's words),
// or, at exactly the recorded (level, round) with other bytes, octez's
// "… already signed with different data" (tzsigner says "bytes").
const notAbove = (kind, l, r, wl, wr) =>
	new RegExp(`^${kind} level ${l} and round ${r} not above high watermark \\(${wl}, ?${wr}\\)`);
const sameSpotOther = (kind, l, r) =>
	new RegExp(
		`^${kind} level ${l} and round ${r} (not above high watermark \\(${l}, ?${r}\\)|already signed with different (bytes|data))`,
	);

const att = (level, round, more = {}) => ({ kind: 'attestation', level, round, ...more });
const pre = (level, round, more = {}) => ({ kind: 'preattestation', level, round, ...more });
const blk = (level, round, more = {}) => ({ kind: 'block', level, round, ...more });

// steps: {…op fields, key?, chain? ('A'|'B'), same?: index of an earlier step
// whose bytes are sent again, expect, msg?}
const CASES = [
	{
		name: 'same level, higher round signs',
		steps: [
			{ ...att(120, 0), expect: 'sign' },
			{ ...att(120, 1), expect: 'sign' },
			{ ...att(120, 5), expect: 'sign' },
			{ ...att(121, 0), expect: 'sign' },
		],
	},
	{
		name: 'same level, lower round: 409 "… not above high watermark (120, 2)"',
		steps: [
			{ ...att(120, 2), expect: 'sign' },
			{ ...att(120, 1), expect: 'refuse', msg: notAbove('attestation', 120, 1, 120, 2) },
			{ ...att(120, 0), expect: 'refuse', msg: notAbove('attestation', 120, 0, 120, 2) },
			{ ...att(120, 3), expect: 'sign' },
		],
	},
	{
		name: 'lower level, any round: 409',
		steps: [
			{ ...att(120, 0), expect: 'sign' },
			{ ...att(119, 7), expect: 'refuse', msg: notAbove('attestation', 119, 7, 120, 0) },
			{ ...att(1, 0), expect: 'refuse', msg: notAbove('attestation', 1, 0, 120, 0) },
		],
	},
	{
		name: 'equal (level, round) with the same bytes: the identical signature again',
		steps: [
			{ ...att(120, 0), expect: 'sign' },
			{ same: 0, expect: 'reanswer' },
			{ same: 0, expect: 'reanswer' },
		],
	},
	{
		name: 'equal (level, round) with different bytes: 409, and the watermark does not move',
		steps: [
			{ ...att(120, 0), expect: 'sign' },
			{ ...att(120, 0), expect: 'refuse', msg: sameSpotOther('attestation', 120, 0) },
			{ same: 0, expect: 'reanswer' },
			{ ...att(120, 0), expect: 'refuse', msg: sameSpotOther('attestation', 120, 0) },
			{ ...att(120, 1), expect: 'sign' },
		],
	},
	{
		name: 'once a higher round is signed, the earlier identical bytes are refused',
		steps: [
			{ ...att(120, 0), expect: 'sign' },
			{ ...att(120, 1), expect: 'sign' },
			{ same: 0, expect: 'refuse', msg: notAbove('attestation', 120, 0, 120, 1) },
			{ same: 1, expect: 'reanswer' },
		],
	},
	{
		name: 'equal (level, round), different bytes, for tz2 (secp256k1) and tz3 (P-256) keys',
		steps: [
			{ ...att(120, 0), key: 'tz2', expect: 'sign' },
			{ ...att(120, 0), key: 'tz2', expect: 'refuse', msg: sameSpotOther('attestation', 120, 0) },
			{ same: 0, key: 'tz2', expect: 'reanswer' },
			{ ...att(120, 0), key: 'tz3', expect: 'sign' },
			{ ...att(120, 0), key: 'tz3', expect: 'refuse', msg: sameSpotOther('attestation', 120, 0) },
			{ ...pre(120, 0), key: 'tz3', expect: 'sign' },
		],
	},
	{
		name: 'block with a locked round (fitness length 37): the round is the last 4 fitness bytes',
		steps: [
			// round 2 behind a locked round 7: a signer reading the locked round
			// would take round 7 and refuse round 3 below.
			{ ...blk(120, 2, { lockedRound: 7 }), expect: 'sign', fitness: 37 },
			{ ...blk(120, 3), expect: 'sign', fitness: 33 },
			// round 1 behind a locked round 9: one reading the locked round would sign.
			{ ...blk(120, 1, { lockedRound: 9 }), expect: 'refuse', fitness: 37, msg: notAbove('block', 120, 1, 120, 3) },
			{ ...blk(120, 3, { lockedRound: 0 }), expect: 'refuse', fitness: 37, msg: sameSpotOther('block', 120, 3) },
			{ same: 1, expect: 'reanswer' },
			{ ...blk(120, 4, { lockedRound: 2 }), expect: 'sign', fitness: 37 },
			{ ...blk(119, 30, { lockedRound: 30 }), expect: 'refuse', fitness: 37, msg: notAbove('block', 119, 30, 120, 4) },
		],
	},
	{
		name: 'tz4 key with tags 41 (attestation) and 40 (preattestation)',
		steps: [
			{ ...att(120, 0), key: 'tz4', expect: 'sign', tag: 41 },
			{ ...att(120, 0), key: 'tz4', expect: 'refuse', tag: 41, msg: sameSpotOther('attestation', 120, 0) },
			{ ...pre(120, 0), key: 'tz4', expect: 'sign', tag: 40 },
			{ same: 2, key: 'tz4', expect: 'reanswer' },
			{ same: 0, key: 'tz4', expect: 'reanswer' },
			{ ...pre(120, 0), key: 'tz4', expect: 'refuse', tag: 40, msg: sameSpotOther('preattestation', 120, 0) },
			{ ...att(120, 1), key: 'tz4', expect: 'sign', tag: 41 },
			{ ...att(119, 3), key: 'tz4', expect: 'refuse', tag: 41, msg: notAbove('attestation', 119, 3, 120, 1) },
			{ ...blk(121, 0), key: 'tz4', expect: 'sign' },
		],
	},
	{
		name: 'kinds are separate: a preattestation after an attestation at the same (level, round) signs',
		steps: [
			{ ...att(120, 0), expect: 'sign' },
			{ ...pre(120, 0), expect: 'sign' },
			{ ...blk(120, 0), expect: 'sign' },
			{ ...pre(120, 0), expect: 'refuse', msg: sameSpotOther('preattestation', 120, 0) },
			{ ...pre(119, 9), expect: 'refuse', msg: notAbove('preattestation', 119, 9, 120, 0) },
			{ ...att(120, 1), expect: 'sign' },
			// the attestation moved to (120, 1); the preattestation is still at (120, 0)
			{ ...pre(120, 1), expect: 'sign' },
			{ ...blk(120, 0), expect: 'refuse', msg: sameSpotOther('block', 120, 0) },
		],
	},
	{
		name: 'tag 23 (attestation with DAL) and tag 21 share the attestation watermark',
		steps: [
			{ kind: 'attestation23', level: 120, round: 0, expect: 'sign', tag: 23 },
			{ ...att(120, 0), expect: 'refuse', msg: sameSpotOther('attestation', 120, 0) },
			{ same: 0, expect: 'reanswer' },
			{ ...att(120, 1), expect: 'sign' },
			{ kind: 'attestation23', level: 120, round: 1, expect: 'refuse', tag: 23, msg: sameSpotOther('attestation', 120, 1) },
		],
	},
	{
		name: 'different chains are separate',
		steps: [
			{ ...att(120, 0), chain: 'A', expect: 'sign' },
			{ ...att(120, 0), chain: 'B', expect: 'sign' },
			{ ...att(120, 0), chain: 'A', expect: 'refuse', msg: sameSpotOther('attestation', 120, 0) },
			{ ...att(500, 0), chain: 'B', expect: 'sign' },
			{ ...att(121, 0), chain: 'A', expect: 'sign' },
			{ ...att(499, 0), chain: 'B', expect: 'refuse', msg: notAbove('attestation', 499, 0, 500, 0) },
		],
	},
	{
		name: 'different keys are separate',
		steps: [
			{ ...att(120, 0), key: 'tz1', expect: 'sign' },
			{ ...att(120, 0), key: 'tz2', expect: 'sign' },
			{ ...att(119, 0), key: 'tz3', expect: 'sign' },
			{ ...att(119, 0), key: 'tz1', expect: 'refuse', msg: notAbove('attestation', 119, 0, 120, 0) },
		],
	},
	{
		name: 'levels and rounds are compared as numbers, not bytes (256 > 255, 2^31-1 > 2^24)',
		steps: [
			{ ...att(255, 255), expect: 'sign' },
			{ ...att(256, 0), expect: 'sign' },
			{ ...att(256, 256), expect: 'sign' },
			{ ...att(256, 255), expect: 'refuse', msg: notAbove('attestation', 256, 255, 256, 256) },
			{ ...att(2 ** 24, 0), expect: 'sign' },
			{ ...att(2 ** 31 - 1, 0), expect: 'sign' },
			{ ...att(2 ** 24 + 1, 0), expect: 'refuse', msg: notAbove('attestation', 2 ** 24 + 1, 0, 2 ** 31 - 1, 0) },
		],
	},
];

const KEY_TYPES = ['tz1', 'tz2', 'tz3', 'tz4'];

// Runs one case's steps against a running signer; returns the steps' results.
async function runCase(s, keys, c) {
	const chains = { A: randomChainId(), B: randomChainId() };
	const done = [];
	for (const [i, st] of c.steps.entries()) {
		const keyType = st.key ?? 'tz1';
		const key = keys[keyType];
		const what = `${c.name}: step ${i} (${JSON.stringify({ ...st, msg: undefined })})`;
		let bytes;
		if (st.same !== undefined) {
			bytes = done[st.same].bytes;
		} else {
			bytes = op({ ...st, chainId: chains[st.chain ?? 'A'], keyType });
			const lr = parseLevelRound(bytes);
			assert.equal(lr.level, st.level, `${what}: builder level`);
			assert.equal(lr.round, st.round, `${what}: builder round`);
			if (st.tag !== undefined) assert.equal(lr.tag, st.tag, `${what}: builder tag`);
			if (st.fitness !== undefined) assert.equal(lr.L, st.fitness, `${what}: builder fitness length`);
		}
		const auditBefore = auditLines(s.stderr()).length;
		const r = await postSign(s.port, key.pkh, bytes);
		const expectEvent = { sign: 'signed', reanswer: 'reanswered', refuse: 'refused' }[st.expect];
		if (st.expect === 'refuse') {
			assertOctezError(r, 409, st.msg, what);
		} else {
			assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
			assert.equal(typeof r.json?.signature, 'string', `${what}: ${r.text}`);
			assert.ok(verifySignature(bytes, key.publicKey, r.json.signature), `${what}: the signature does not verify`);
			if (st.expect === 'reanswer')
				assert.equal(r.json.signature, done[st.same].signature, `${what}: not the signature first given for these bytes`);
		}
		// One audit line for this decision, saying what was decided and why.
		const lines = await waitAudit(s, auditBefore);
		assert.equal(lines.length, auditBefore + 1, `${what}: ${lines.length - auditBefore} audit lines for one request`);
		const a = lines[auditBefore];
		const lr = parseLevelRound(bytes);
		const kind = { 0x11: 'block', 0x12: 'preattestation', 0x13: 'attestation' }[bytes[0]];
		assert.equal(a.event, expectEvent, `${what}: audit ${a.line}`);
		assert.equal(a.pkh, key.pkh, `${what}: audit ${a.line}`);
		assert.equal(a.kind, kind, `${what}: audit ${a.line}`);
		assert.equal(a.chain, chainIdB58(bytes.subarray(1, 5)), `${what}: audit ${a.line}`);
		assert.equal(a.op_level, String(lr.level), `${what}: audit ${a.line}`);
		assert.equal(a.op_round, String(lr.round), `${what}: audit ${a.line}`);
		assert.equal(a.status, String(r.status), `${what}: audit ${a.line}`);
		assert.match(a.us ?? '', /^\d+$/, `${what}: audit ${a.line}`);
		if (st.expect === 'refuse') assert.equal(a.reason, r.json[0].msg, `${what}: audit reason`);
		else assert.equal(a.reason, 'ok', `${what}: audit ${a.line}`);
		done.push({ bytes, signature: r.json?.signature, status: r.status });
	}
	return done;
}

after(removeTempDirs);

for (const durability of ['reserve', 'sync']) {
	describe(`high watermarks over HTTP, --durability ${durability}`, () => {
		let dir;
		let s;
		const keys = {};

		before(async () => {
			dir = await makeBaseDir(`wm-${durability}`);
			for (const t of KEY_TYPES) keys[t] = await genKey(dir, `wm_${t}`, t);
			// reserve is the default: started without --durability
			s = await startSigner(dir, durability === 'reserve' ? ['-W'] : ['--durability', durability, '-W']);
			assert.match(s.stderr(), new RegExp(`event=listening .*durability=${durability}`));
		});

		after(async () => {
			if (s) await s.stop();
		});

		for (const c of CASES) test(c.name, () => runCase(s, keys, c));

		test('across a clean restart (SIGTERM): same answers, and the next level is not lost', async () => {
			const chainId = randomChainId();
			const x = op({ ...att(300, 1), chainId });
			const r1 = await postSign(s.port, keys.tz1.pkh, x);
			assert.equal(r1.status, 200, r1.text);
			const b = op({ ...blk(300, 2, { lockedRound: 1 }), chainId, keyType: 'tz4' });
			const rb = await postSign(s.port, keys.tz4.pkh, b);
			assert.equal(rb.status, 200, rb.text);

			await s.stop();
			s = await startSigner(dir, durability === 'reserve' ? [] : ['--durability', durability]);

			const again = await postSign(s.port, keys.tz1.pkh, x);
			assert.equal(again.status, 200, `identical bytes after restart: ${again.text}`);
			assert.equal(again.json.signature, r1.json.signature, 'identical bytes after restart: another signature');
			assertOctezError(
				await postSign(s.port, keys.tz1.pkh, op({ ...att(300, 1), chainId })),
				409,
				sameSpotOther('attestation', 300, 1),
				'other bytes at the same (level, round) after restart',
			);
			assertOctezError(
				await postSign(s.port, keys.tz1.pkh, op({ ...att(300, 0), chainId })),
				409,
				/^attestation level 300 and round 0 not above high watermark/,
				'lower round after restart',
			);
			assertOctezError(
				await postSign(s.port, keys.tz4.pkh, op({ ...blk(300, 1, { lockedRound: 5 }), chainId, keyType: 'tz4' })),
				409,
				/^block level 300 and round 1 not above high watermark/,
				'lower block round after restart',
			);
			// A clean stop is not a crash: the level after the last one signed
			// must still be signable (a baker restarting its signer would
			// otherwise miss a level each time).
			const next = op({ ...att(301, 0), chainId });
			const rn = await postSign(s.port, keys.tz1.pkh, next);
			assert.equal(rn.status, 200, `level 301 after a clean restart following level 300: ${rn.status} ${rn.text}`);
			assert.ok(verifySignature(next, keys.tz1.publicKey, rn.json.signature));
			const nb = op({ ...blk(301, 0), chainId, keyType: 'tz4' });
			const rnb = await postSign(s.port, keys.tz4.pkh, nb);
			assert.equal(rnb.status, 200, `block level 301 after a clean restart: ${rnb.status} ${rnb.text}`);
		});
	});
}
