// tz4 on the Ledger: Tezos Baking 2.5.1 (trilitech/ledger-app-tezos-baking
// main) adds BLS12-381 as derivation type P2 = 04. tests/ledgersim with
// --app-version 2.5.1 answers as that source does: the public key as 0x61 ‖
// 04 ‖ X ‖ Y, signatures with the augmented scheme over compressed key ‖
// message (src/crypto.c: CIPHERSUITE ..._AUG_), i.e. octez's signature
// version 1. So a ledger://…/bls12_381/… key signs ?version=1 requests; the
// proof-of-possession versions (2, 3, or none) are refused with the reason.
// Its public key hashes to its tz4 as Taquito computes it; its signatures
// verify with @noble/curves under the AUG DST (Taquito's verifySignature
// checks BLS only with the POP DST, so it cannot check these). Watermarks
// apply as for any key. App 2.5.0 answers 6B00 to P2 = 04: tzsigner says it
// has no BLS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getPkhfromPk, verifySignature } from '@taquito/utils';
import { bls12_381 } from '@noble/curves/bls12-381';
import {
	makeBaseDir,
	teardown,
	cli,
	runCli,
	listKeys,
	startSigner,
	postSign,
	assertOctezError,
	consensusOp,
	blockHeader,
	publicKeyBytes,
	signatureBytes,
} from './lib/signer.mjs';
import { startLedgerSim, SPECULOS_DEVICE, CHAIN_MAIN, CHAIN_MAIN_BYTES } from './lib/ledgersim.mjs';

const URI = `ledger://${SPECULOS_DEVICE}/bls12_381/0h/0h`;
const AUG_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_';
const bls = bls12_381.longSignatures;
let sim;
let signer;
let key;

function verifyAug(sigB58, msg, pkB58) {
	const pk = publicKeyBytes(pkB58);
	try {
		return bls.verify(signatureBytes(sigB58), bls.hash(Buffer.concat([pk, msg]), AUG_DST), pk);
	} catch {
		return false;
	}
}

before(async () => {
	sim = await startLedgerSim(['--app-version', '2.5.1', '--prompt-ms', '10']);
	const dir = await makeBaseDir('ledger-bls');
	await cli(['keys', 'import', 'baker_tz4', URI, '--ledger-proxy', sim.proxy, '-d', dir]);
	[key] = await listKeys(dir);
	await cli(['ledger', 'setup', URI, '--chain', CHAIN_MAIN, '--main-hwm', '0', '--ledger-proxy', sim.proxy]);
	signer = await startSigner(dir, ['--ledger-proxy', sim.proxy]);
});

after(() => teardown(signer, sim));

test('keys import stores a tz4 whose BLpk hashes to it (Taquito) and the canonical bls12_381 URI', async () => {
	assert.match(key.pkh, /^tz4/);
	assert.match(key.publicKey, /^BLpk/);
	assert.equal(key.storage, 'ledger');
	assert.equal(getPkhfromPk(key.publicKey), key.pkh);
	const { stdout } = await cli(['ledger', 'list', '--ledger-proxy', sim.proxy]);
	assert.match(stdout, new RegExp(`version=2\\.5\\.1 authorized=${URI.replace(/[/.]/g, '\\$&')} authorized_pkh=${key.pkh}`));
});

test('a block signed on the device with ?version=1 verifies (AUG scheme, @noble/curves); watermarks as for any key', async () => {
	const block = blockHeader({ chainId: CHAIN_MAIN_BYTES, level: 500, round: 0, lockedRound: null });
	const r = await postSign(signer.port, key.pkh, block, { query: '?version=1' });
	assert.equal(r.status, 200, r.text);
	const sig = r.json.signature;
	assert.match(sig, /^BLsig/);
	assert.ok(verifyAug(sig, block, key.publicKey), 'the device signature does not verify under the AUG DST');
	assert.equal(verifySignature(block, key.publicKey, sig), false, 'an AUG signature verifies as a POP one');
	// The same bytes again: the stored signature; other bytes at (500, 0): refused.
	const again = await postSign(signer.port, key.pkh, block, { query: '?version=1' });
	assert.equal(again.status, 200, again.text);
	assert.ok(verifyAug(again.json.signature, block, key.publicKey));
	const other = blockHeader({ chainId: CHAIN_MAIN_BYTES, level: 500, round: 0, lockedRound: null });
	assertOctezError(await postSign(signer.port, key.pkh, other, { query: '?version=1' }), 409, /not above high watermark|watermark/, 'double block');
	assertOctezError(await postSign(signer.port, key.pkh, blockHeader({ chainId: CHAIN_MAIN_BYTES, level: 499, round: 3 }), { query: '?version=1' }), 409, null, 'lower level');
	const next = blockHeader({ chainId: CHAIN_MAIN_BYTES, level: 501, round: 0, lockedRound: null });
	const r2 = await postSign(signer.port, key.pkh, next, { query: '?version=1' });
	assert.equal(r2.status, 200, r2.text);
	assert.ok(verifyAug(r2.json.signature, next, key.publicKey));
});

test('versions 2, 3 and none ask for the POP scheme, which the app cannot make: 403 with the reason', async () => {
	for (const q of ['?version=3', '?version=2', '']) {
		const block = blockHeader({ chainId: CHAIN_MAIN_BYTES, level: 600, round: 0 });
		assertOctezError(await postSign(signer.port, key.pkh, block, { query: q }), 403, /augmented BLS scheme, octez's signature version 1/, `query '${q}'`);
	}
	assertOctezError(await postSign(signer.port, key.pkh, blockHeader(), { query: '?version=0' }), 400, /version 0 has no tz4/, 'version 0');
});

// The app's consensus parser (src/baking_auth.c, parse_consensus_operation)
// skips a 2-byte slot whatever the tag, then wants level, round and a 32-byte
// hash: a 78-byte tag-40/41 operation is 2 bytes short for it, so the app
// refuses it as a parse error (9405), and had it been longer it would read
// level and round 2 bytes too far. tzsigner's own watermark, read at the
// tag's offsets, stays the authority.
test('a tag-41 attestation reaches the device and its parser refuses it (9405 → 403)', async () => {
	const op = consensusOp({ magic: 0x13, tag: 41, chainId: CHAIN_MAIN_BYTES, level: 700, round: 0 });
	assertOctezError(await postSign(signer.port, key.pkh, op, { query: '?version=1' }), 403, /does not sign these bytes/, 'tag 41 on the device');
});

test('app 2.5.0 answers 6B00 to P2 = 04: import says the app version has no BLS', async () => {
	const old = await startLedgerSim(['--app-version', '2.5.0', '--prompt-ms', '0']);
	try {
		const dir = await makeBaseDir('ledger-bls-old');
		const r = await runCli(['keys', 'import', 'x', URI, '--ledger-proxy', old.proxy, '-d', dir]);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, /this app version has no BLS; 2\.5\.1 or later/);
	} finally {
		await old.stop();
	}
});
