// What a signer is allowed to sign (issue #3): --chain restricts consensus
// operations to the chains given (403 for others); <base_dir>/
// tzsigner_policy.json overrides the magic bytes per key; a malformed
// policy file stops `serve` with a message naming the file. Each decision
// leaves one audit line.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	serveMustFail,
	postSign,
	assertOctezError,
	randomChainId,
	genericOp,
} from './lib/signer.mjs';
import { MAINNET, op, chainIdBytes, chainIdB58, waitAuditMatch } from './lib/watermark.mjs';

after(removeTempDirs);

test('--chain NetXdQprcVkpaWU: mainnet consensus operations sign, another chain gets 403 (and no watermark is taken)', async () => {
	const dir = await makeBaseDir('chain');
	const k1 = await genKey(dir, 'c1', 'tz1');
	const k4 = await genKey(dir, 'c4', 'tz4');
	const s = await startSigner(dir, ['--chain', MAINNET]);
	try {
		const main = chainIdBytes(MAINNET);
		const other = randomChainId();
		for (const [k, type] of [[k1, 'tz1'], [k4, 'tz4']]) {
			for (const kind of ['attestation', 'preattestation', 'block']) {
				const ok = op({ kind, level: 10, round: 0, chainId: main, keyType: type });
				const r = await postSign(s.port, k.pkh, ok);
				assert.equal(r.status, 200, `${type} ${kind} on mainnet: ${r.text}`);
				assert.ok(verifySignature(ok, k.publicKey, r.json.signature));
				const bad = op({ kind, level: 11, round: 0, chainId: other, keyType: type });
				const msg = assertOctezError(await postSign(s.port, k.pkh, bad), 403, new RegExp(chainIdB58(other)), `${type} ${kind} on another chain`);
				assert.match(msg, /chain/);
				const a = await waitAuditMatch(s, { event: 'refused', pkh: k.pkh, kind, chain: chainIdB58(other), status: 403 });
				assert.ok(a.reason.includes(chainIdB58(other)), a.line);
			}
		}
		// A refusal by policy leaves the other chain's watermark alone: with a
		// signer allowing that chain too, level 11 there is still free.
		await s.stop();
		const s2 = await startSigner(dir, ['--chain', MAINNET, '--chain', chainIdB58(other)]);
		try {
			const b = op({ kind: 'attestation', level: 11, round: 0, chainId: other });
			const r = await postSign(s2.port, k1.pkh, b);
			assert.equal(r.status, 200, r.text);
			const again = op({ kind: 'attestation', level: 10, round: 0, chainId: main });
			assertOctezError(await postSign(s2.port, k1.pkh, again), 409, /not above|already signed/, 'mainnet (10, 0) again');
		} finally {
			await s2.stop();
		}
	} finally {
		await s.stop();
	}
});

test('--chain with a malformed chain id: serve refuses to start', async () => {
	const dir = await makeBaseDir('badchain');
	await genKey(dir, 'x', 'tz1');
	const r = await serveMustFail(dir, ['--chain', 'NetXdQprcVkpaWV']);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /chain/);
});

test('tzsigner_policy.json: the listed key signs a 0x03 operation, another key still gets 403', async () => {
	const dir = await makeBaseDir('policy');
	const a = await genKey(dir, 'pa', 'tz1');
	const b = await genKey(dir, 'pb', 'tz1');
	const c = await genKey(dir, 'pc', 'tz2');
	await writeFile(
		path.join(dir, 'tzsigner_policy.json'),
		JSON.stringify({ keys: { [a.pkh]: { magic_bytes: '0x03,0x11,0x12,0x13' }, [c.pkh]: { magic_bytes: '0x13' } } }),
	);
	const s = await startSigner(dir);
	try {
		const g = genericOp();
		const r = await postSign(s.port, a.pkh, g);
		assert.equal(r.status, 200, `0x03 for the key allowed by tzsigner_policy.json: ${r.text}`);
		assert.ok(verifySignature(g, a.publicKey, r.json.signature));
		const sig = await waitAuditMatch(s, { event: 'signed', pkh: a.pkh, magic: '0x03', status: 200 });
		assert.match(sig.us, /^\d+$/);
		// generic operations carry no watermark: the same bytes sign again
		const r2 = await postSign(s.port, a.pkh, g);
		assert.equal(r2.status, 200, r2.text);

		assertOctezError(await postSign(s.port, b.pkh, genericOp()), 403, /magic byte 0x03/, '0x03 for a key without an override');
		const ref = await waitAuditMatch(s, { event: 'refused', pkh: b.pkh, magic: '0x03', status: 403 });
		assert.match(ref.reason, /magic byte 0x03/);
		// the override replaces -M for its key: c may sign attestations only
		const att = op({ kind: 'attestation', level: 5, round: 0, keyType: 'tz2' });
		assert.equal((await postSign(s.port, c.pkh, att)).status, 200);
		assertOctezError(await postSign(s.port, c.pkh, op({ kind: 'block', level: 5, round: 0, keyType: 'tz2' })), 403, /magic byte 0x11/, 'block for a key limited to 0x13');
		// keys without an override still sign consensus operations
		const blk = op({ kind: 'block', level: 5, round: 0 });
		const rb = await postSign(s.port, b.pkh, blk);
		assert.equal(rb.status, 200, rb.text);
		assert.ok(verifySignature(blk, b.publicKey, rb.json.signature));
	} finally {
		await s.stop();
	}
});

for (const [what, text] of [
	['not JSON', '{"keys": {'],
	['not an object of keys', '["tz1"]'],
	['a bad magic byte list', (pkh) => JSON.stringify({ keys: { [pkh]: { magic_bytes: '0x3,zz' } } })],
	['an unknown field', (pkh) => JSON.stringify({ keys: { [pkh]: { magic_bytes: '0x03', extra: true } } })],
	['a bad pkh', JSON.stringify({ keys: { tz1nope: { magic_bytes: '0x03' } } })],
]) {
	test(`a malformed tzsigner_policy.json (${what}) stops serve with a message naming the file`, async () => {
		const dir = await makeBaseDir('badpolicy');
		const k = await genKey(dir, 'k', 'tz1');
		await writeFile(path.join(dir, 'tzsigner_policy.json'), typeof text === 'function' ? text(k.pkh) : text);
		const r = await serveMustFail(dir);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /tzsigner_policy\.json/, r.stderr);
	});
}
