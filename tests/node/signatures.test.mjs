// Signatures made by `tzsigner serve` over random consensus-shaped payloads,
// verified independently: @taquito/utils' verifySignature for tz1–tz4 (tz4
// with the POP scheme, and the proof of possession), @noble/curves for the
// augmented (version=1) BLS scheme.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifySignature } from '@taquito/utils';
import { bls12_381 } from '@noble/curves/bls12-381';
import { createHash, randomBytes } from 'node:crypto';

function randomBytesHex(n) {
	return randomBytes(n).toString('hex');
}

// base58check with the tz5 prefix (06 a1 a9), built here independently of tzsigner.
function b58cTz5(hashHex) {
	const raw = Buffer.concat([Buffer.from([0x06, 0xa1, 0xa9]), Buffer.from(hashHex, 'hex')]);
	const sum = createHash('sha256').update(createHash('sha256').update(raw).digest()).digest();
	const all = Buffer.concat([raw, sum.subarray(0, 4)]);
	const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
	let n = BigInt('0x' + all.toString('hex'));
	let out = '';
	while (n > 0n) {
		out = alphabet[Number(n % 58n)] + out;
		n /= 58n;
	}
	for (const b of all) {
		if (b !== 0) break;
		out = '1' + out;
	}
	return out;
}
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	cloneBaseDir,
	request,
	postSign,
	sign,
	getPublicKey,
	consensusOp,
	blockHeader,
	parseLevelRound,
	zarith,
	publicKeyBytes,
	signatureBytes,
	assertOctezError,
	randInt,
	randomPkh,
	randomChainId,
	SCHEMES,
	TAG,
} from './lib/signer.mjs';

const bls = bls12_381.longSignatures; // min-pk: 48-byte keys, 96-byte signatures
const POP_SIG_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const AUG_SIG_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_';
const POP_PROOF_DST = 'BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';

function blsVerify(sigB58, msg, pkB58, dst) {
	try {
		return bls.verify(signatureBytes(sigB58), bls.hash(msg, dst), publicKeyBytes(pkB58));
	} catch {
		return false;
	}
}

let dir;
let signer;
const keys = {};

before(async () => {
	dir = await makeBaseDir('sigs');
	for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) keys[type] = await genKey(dir, `s_${type}`, type);
	keys.tz4b = await genKey(dir, 's_tz4b', 'tz4');
	signer = await startSigner(dir, ['--allow-to-prove-possession', '--allow-list-known-keys']);
});

after(async () => {
	try {
		if (signer) await signer.stop();
	} finally {
		await removeTempDirs();
	}
});

test('GET /keys/<pkh> answers each generated public key', async () => {
	for (const k of Object.values(keys)) assert.equal(await getPublicKey(signer.port, k.pkh), k.publicKey);
});

// tz1–tz3: tags 20, 21, 23 and blocks (L = 33 and 37), each on a fresh chain.
for (const type of ['tz1', 'tz2', 'tz3']) {
	test(`${type}: 25 random consensus payloads (tags 20/21/23, blocks) all verify`, async () => {
		const k = keys[type];
		const makers = [
			() => consensusOp({ magic: 0x12, tag: TAG.preattestation }),
			() => consensusOp({ magic: 0x13, tag: TAG.attestation }),
			() => consensusOp({ magic: 0x13, tag: TAG.attestationWithDal }),
			() => blockHeader({ lockedRound: null }),
			() => blockHeader({ lockedRound: randInt(0, 9) }),
		];
		for (let i = 0; i < 25; i++) {
			const msg = makers[i % makers.length]();
			const sig = await sign(signer.port, k.pkh, msg);
			assert.ok(sig.startsWith(SCHEMES[type].sig), `${sig} is not a ${SCHEMES[type].sig}`);
			assert.equal(signatureBytes(sig).length, 64);
			assert.ok(verifySignature(msg, k.publicKey, sig), `${type} signature over ${msg.toString('hex')} does not verify`);
			const tampered = Buffer.from(msg);
			tampered[60] ^= 0x40;
			assert.equal(verifySignature(tampered, k.publicKey, sig), false, 'verifies over other bytes');
			if (type !== 'tz1') {
				// low-S: s ≤ n/2
				const n =
					type === 'tz2'
						? 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
						: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
				const s = BigInt('0x' + signatureBytes(sig).subarray(32).toString('hex'));
				assert.ok(s <= n / 2n, `${type} signature is not low-S: ${sig}`);
			}
		}
	});
}

test('tz4: 25 random payloads (tags 40/41, blocks) verify with the POP scheme', async () => {
	const k = keys.tz4;
	const makers = [
		() => consensusOp({ magic: 0x12, tag: TAG.preattestationBls }),
		() => consensusOp({ magic: 0x13, tag: TAG.attestationBls }),
		() => blockHeader({ lockedRound: null }),
		() => blockHeader({ lockedRound: randInt(0, 9) }),
	];
	for (let i = 0; i < 25; i++) {
		const msg = makers[i % makers.length]();
		const sig = await sign(signer.port, k.pkh, msg);
		assert.ok(sig.startsWith('BLsig'), `${sig} is not a BLsig`);
		assert.equal(signatureBytes(sig).length, 96);
		assert.ok(verifySignature(msg, k.publicKey, sig), `tz4 signature over ${msg.toString('hex')} does not verify`);
		assert.ok(blsVerify(sig, msg, k.publicKey, POP_SIG_DST), 'noble: does not verify with the POP DST');
		assert.equal(blsVerify(sig, msg, k.publicKey, AUG_SIG_DST), false, 'a default signature verifies with the AUG DST');
		assert.equal(verifySignature(msg, keys.tz4b.publicKey, sig), false, 'verifies under another key');
	}
});

test('tz4 with DAL: the consensus key and a companion key both sign the same tag-41 bytes', async () => {
	const msg = consensusOp({ magic: 0x13, tag: TAG.attestationBls });
	const s1 = await sign(signer.port, keys.tz4.pkh, msg);
	const s2 = await sign(signer.port, keys.tz4b.pkh, msg);
	assert.notEqual(s1, s2);
	assert.ok(verifySignature(msg, keys.tz4.publicKey, s1));
	assert.ok(verifySignature(msg, keys.tz4b.publicKey, s2));
});

test('tz4 version=1 selects the augmented scheme: pk ‖ msg with the AUG DST (checked with @noble/curves)', async () => {
	const k = keys.tz4;
	const pk = publicKeyBytes(k.publicKey);
	for (let i = 0; i < 8; i++) {
		const msg = i % 2 ? consensusOp({ magic: 0x13, tag: 41 }) : blockHeader();
		const sig = await sign(signer.port, k.pkh, msg, { query: '?version=1' });
		assert.ok(sig.startsWith('BLsig'));
		assert.ok(blsVerify(sig, Buffer.concat([pk, msg]), k.publicKey, AUG_SIG_DST), 'not an AUG signature over pk ‖ msg');
		assert.equal(verifySignature(msg, k.publicKey, sig), false, 'a version=1 signature verifies as a POP-scheme one');
		assert.equal(blsVerify(sig, msg, k.publicKey, AUG_SIG_DST), false, 'AUG signature over msg without pk');
	}
});

// octez's signature versions (src/lib_crypto/signature.ml, version_arg): the
// client sends ?version=2 (octez v24) or 3 (v25) on every sign
// (src/lib_signer_backends/http_gen.ml, sign). tz1–tz3 sign alike under
// every version; tz4 under 2 and 3 with the POP DST, under 1 augmented, and
// version 0 has no BLS (octez's unencrypted.ml sign fails for it).
for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) {
	test(`${type}: ?version=0…3 as octez-signer signs, each verified`, async () => {
		const k = keys[type];
		for (const version of ['0', '1', '2', '3']) {
			const msg = type === 'tz4' ? consensusOp({ magic: 0x13, tag: TAG.attestationBls }) : blockHeader();
			const r = await postSign(signer.port, k.pkh, msg, { query: `?version=${version}` });
			if (type === 'tz4' && version === '0') {
				assertOctezError(r, 400, /version 0 has no tz4/, 'tz4 version 0');
				continue;
			}
			assert.equal(r.status, 200, `version ${version}: ${r.text}`);
			const sig = r.json.signature;
			if (type === 'tz4' && version === '1')
				assert.ok(blsVerify(sig, Buffer.concat([publicKeyBytes(k.publicKey), msg]), k.publicKey, AUG_SIG_DST));
			else assert.ok(verifySignature(msg, k.publicKey, sig), `${type} version ${version} does not verify`);
		}
	});
}

test('?version=9 (or any other spelling) is a 400 that names octez\'s versions 0–3', async () => {
	for (const bad of ['9', '4', '03', '', 'latest']) {
		const r = await postSign(signer.port, keys.tz1.pkh, blockHeader(), { query: `?version=${bad}` });
		assertOctezError(r, 400, /unknown signature version .*0, 1, 2 and 3/, `version=${bad}`);
	}
});

test('a tz5 (ML-DSA-44) address is refused as not supported, on every endpoint', async () => {
	// tz5's base58 prefix 06a1a9: octez src/lib_crypto/base58.ml, mldsa44_public_key_hash.
	const tz5 = b58cTz5(randomBytesHex(20));
	assert.match(tz5, /^tz5/);
	const r1 = await postSign(signer.port, tz5, blockHeader(), { query: '?version=3' });
	assertOctezError(r1, 404, /tz5 keys are not supported/, 'POST tz5');
	const r2 = await request(signer.port, 'GET', `/keys/${tz5}`);
	assertOctezError(r2, 404, /tz5 keys are not supported/, 'GET tz5');
});

test('tz4 proof of possession verifies (verifySignature with pop=true over the public key bytes)', async () => {
	const k = keys.tz4;
	const pk = publicKeyBytes(k.publicKey);
	assert.equal(pk.length, 48);
	const r = await request(signer.port, 'GET', `/bls_prove_possession/${k.pkh}`);
	assert.equal(r.status, 200, r.text);
	const proof = r.json?.bls_prove_possession;
	assert.ok(typeof proof === 'string' && proof.startsWith('BLsig'), r.text);
	assert.ok(verifySignature(pk, k.publicKey, proof, undefined, true), 'proof of possession does not verify');
	assert.ok(blsVerify(proof, pk, k.publicKey, POP_PROOF_DST));
	assert.equal(verifySignature(pk, k.publicKey, proof), false, 'a proof verifies as an ordinary signature');
	assert.equal(verifySignature(pk, keys.tz4b.publicKey, proof, undefined, true), false);

	// bls_pk = its own key: the same (deterministic) proof.
	const r2 = await request(signer.port, 'GET', `/bls_prove_possession/${k.pkh}?bls_pk=${k.publicKey}`);
	assert.equal(r2.status, 200, r2.text);
	assert.equal(r2.json.bls_prove_possession, proof);
	// bls_pk = another key: the proof is over that key's bytes, signed by this key.
	const other = keys.tz4b;
	const r3 = await request(signer.port, 'GET', `/bls_prove_possession/${k.pkh}?bls_pk=${other.publicKey}`);
	assert.equal(r3.status, 200, r3.text);
	const p3 = r3.json.bls_prove_possession;
	assert.ok(verifySignature(publicKeyBytes(other.publicKey), k.publicKey, p3, undefined, true));
});

test('proof of possession: refused for a non-BLS key, an unknown key and a malformed bls_pk', async () => {
	const r1 = await request(signer.port, 'GET', `/bls_prove_possession/${keys.tz1.pkh}`);
	assertOctezError(r1, [400, 403], null, 'POP for a tz1 key');
	const r2 = await request(signer.port, 'GET', `/bls_prove_possession/${randomPkh('tz4')}`);
	assertOctezError(r2, 404, null, 'POP for an unknown tz4');
	const r3 = await request(signer.port, 'GET', `/bls_prove_possession/${keys.tz4.pkh}?bls_pk=BLpkNOTAKEY`);
	assertOctezError(r3, 400, null, 'POP with a malformed bls_pk');
	// The daemon still answers.
	const msg = consensusOp({ magic: 0x13, tag: 41 });
	assert.ok(verifySignature(msg, keys.tz4.publicKey, await sign(signer.port, keys.tz4.pkh, msg)));
});

test('GET /known_keys lists every key (opt-in)', async () => {
	const r = await request(signer.port, 'GET', '/known_keys');
	assert.equal(r.status, 200, r.text);
	assert.ok(Array.isArray(r.json?.known_keys), r.text);
	assert.deepEqual([...r.json.known_keys].sort(), Object.values(keys).map((k) => k.pkh).sort());
});

test('without the opt-in flags, /bls_prove_possession and /known_keys are refused', async () => {
	const plain = await startSigner(await cloneBaseDir(dir));
	try {
		const r1 = await request(plain.port, 'GET', `/bls_prove_possession/${keys.tz4.pkh}`);
		assertOctezError(r1, [403, 404], null, 'POP without --allow-to-prove-possession');
		const r2 = await request(plain.port, 'GET', '/known_keys');
		assertOctezError(r2, [403, 404], null, 'known_keys without --allow-list-known-keys');
		// Signing is unaffected.
		const msg = consensusOp({ magic: 0x13, tag: 41 });
		assert.ok(verifySignature(msg, keys.tz4.publicKey, await sign(plain.port, keys.tz4.pkh, msg)));
	} finally {
		await plain.stop();
	}
});

// High watermarks (design §2.2).
test('high watermark: an identical request is re-answered with the same signature; a lower level on the same chain is refused with 409', async () => {
	const k = keys.tz1;
	const chainId = randomChainId();
	const msg = consensusOp({ magic: 0x13, tag: 21, chainId, level: 1000, round: 1 });
	const s1 = await sign(signer.port, k.pkh, msg);
	const r2 = await postSign(signer.port, k.pkh, msg);
	assert.equal(r2.status, 200, r2.text);
	assert.equal(r2.json.signature, s1);
	const lower = consensusOp({ magic: 0x13, tag: 21, chainId, level: 999, round: 5 });
	assertOctezError(await postSign(signer.port, k.pkh, lower), 409, null, 'attestation below the watermark');
	const higher = consensusOp({ magic: 0x13, tag: 21, chainId, level: 1000, round: 2 });
	assert.ok(verifySignature(higher, k.publicKey, await sign(signer.port, k.pkh, higher)));
});
