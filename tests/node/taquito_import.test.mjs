// Keys made by Taquito's InMemorySigner, imported into tzsigner unencrypted
// and encrypted (encrypted here, with Node's PBKDF2 and tweetnacl, and
// checked to decrypt with Taquito), then served: the public keys are the
// ones Taquito derives and the signatures are the ones Taquito makes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySigner } from '@taquito/signer';
import { verifySignature, b58Encode, b58DecodeAndCheckPrefix, PrefixV2 } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	writePassFile,
	importKey,
	listKeys,
	startSigner,
	request,
	sign,
	getPublicKey,
	consensusOp,
	blockHeader,
	encryptSecret,
	randomBlsSecretKey,
	SCHEMES,
} from './lib/signer.mjs';

// speculos's default seed (design §2.4), whose keys at 44'/1729'/0'/0' are known.
const MNEMONIC =
	'glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin';
const VECTORS = {
	tz1: { pkh: 'tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA', pk: 'edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp' },
	tz2: { pk: 'sppk7ZntgM6x2Z3MyxARtAJXLF6d74nLApU5Awt9nsFjJZFqaRFddqG' },
	tz3: { pk: 'p2pk64rVUd4FgCJM25QdSSGAatNsrotuYKczscXukykvHPRwYr6WD4a' },
};
const CURVE = { tz1: 'ed25519', tz2: 'secp256k1', tz3: 'p256' };
const PASS = 'correct horse battery staple';

let dir;
let signer;
// name → {type, taquito: InMemorySigner, secret, storage, pkh, publicKey}
const imported = new Map();

function taquitoSigner(type, account) {
	if (type === 'tz4') return new InMemorySigner(randomBlsSecretKey());
	return InMemorySigner.fromMnemonic({
		mnemonic: MNEMONIC,
		derivationPath: `44'/1729'/${account}'/0'`,
		curve: CURVE[type],
	});
}

before(async () => {
	dir = await makeBaseDir('import');
	const pf = await writePassFile(dir, PASS);
	const plan = [];
	for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) {
		const plain = taquitoSigner(type, 0);
		const enc = taquitoSigner(type, 1);
		// Unencrypted, as a bare secret key.
		plan.push({ name: `plain_${type}`, type, taquito: plain, secret: await plain.secretKey(), storage: 'unencrypted' });
		// Encrypted by this test, with the "encrypted:" locator prefix.
		const blob = encryptSecret(await enc.secretKey(), PASS);
		plan.push({ name: `enc_${type}`, type, taquito: enc, secret: `encrypted:${blob}`, blob, storage: 'encrypted', passFile: pf });
	}
	// The other spellings: an ed25519 32-byte seed with "unencrypted:", a bare spesk.
	const seedSigner = taquitoSigner('tz1', 2);
	const [sk64] = b58DecodeAndCheckPrefix(await seedSigner.secretKey(), [PrefixV2.Ed25519SecretKey]);
	plan.push({
		name: 'seed_tz1',
		type: 'tz1',
		taquito: seedSigner,
		secret: `unencrypted:${b58Encode(sk64.slice(0, 32), PrefixV2.Ed25519Seed)}`,
		storage: 'unencrypted',
	});
	const bareEnc = taquitoSigner('tz2', 2);
	const bareBlob = encryptSecret(await bareEnc.secretKey(), PASS);
	plan.push({ name: 'bareenc_tz2', type: 'tz2', taquito: bareEnc, secret: bareBlob, blob: bareBlob, storage: 'encrypted', passFile: pf });

	for (const p of plan) {
		const k = await importKey(dir, p.name, p.secret, { passFile: p.passFile });
		imported.set(p.name, { ...p, pkh: k.pkh, publicKey: k.publicKey, listed: k });
	}
	signer = await startSigner(dir, ['-f', pf, '--allow-to-prove-possession']);
});

after(async () => {
	try {
		if (signer) await signer.stop();
	} finally {
		await removeTempDirs();
	}
});

test("Taquito derives the speculos vectors of design §2.4 from the mnemonic (the oracle is sound)", async () => {
	for (const type of ['tz1', 'tz2', 'tz3']) {
		const s = taquitoSigner(type, 0);
		assert.equal(await s.publicKey(), VECTORS[type].pk, type);
		if (VECTORS[type].pkh) assert.equal(await s.publicKeyHash(), VECTORS[type].pkh);
	}
});

test("the test's own encryption is what Taquito decrypts (an independent oracle for the format)", async () => {
	for (const p of imported.values()) {
		if (!p.blob) continue;
		const [payload, pre] = b58DecodeAndCheckPrefix(p.blob, [SCHEMES[p.type].esk]);
		assert.equal(pre, SCHEMES[p.type].esk);
		assert.equal(payload.length, 56);
		const dec = new InMemorySigner(p.blob, PASS);
		assert.equal(await dec.publicKey(), await p.taquito.publicKey(), p.name);
		assert.throws(() => new InMemorySigner(p.blob, 'not the passphrase'));
	}
});

test('keys list shows each imported key with the pkh, public key and storage Taquito expects', async () => {
	const listed = await listKeys(dir);
	assert.equal(listed.length, imported.size);
	for (const p of imported.values()) {
		const l = listed.find((e) => e.name === p.name);
		assert.ok(l, `${p.name} not listed`);
		assert.equal(l.pkh, await p.taquito.publicKeyHash(), p.name);
		assert.equal(l.publicKey, await p.taquito.publicKey(), p.name);
		assert.equal(l.storage, p.storage, p.name);
	}
});

test('GET /keys/<pkh> returns the public key Taquito derives, for every imported key', async () => {
	for (const p of imported.values()) {
		assert.equal(await getPublicKey(signer.port, await p.taquito.publicKeyHash()), await p.taquito.publicKey(), p.name);
	}
});

function payloadsFor(type, n) {
	const out = [];
	for (let i = 0; i < n; i++) {
		if (i % 3 === 2) out.push(blockHeader());
		else if (type === 'tz4') out.push(consensusOp({ magic: i % 2 ? 0x13 : 0x12, tag: i % 2 ? 41 : 40 }));
		else out.push(consensusOp({ magic: i % 2 ? 0x13 : 0x12, tag: i % 2 ? 21 : 20 }));
	}
	return out;
}

for (const type of ['tz1', 'tz2', 'tz3', 'tz4']) {
	test(`${type}: tzsigner's signatures are byte-identical to Taquito's InMemorySigner.sign (unencrypted and encrypted keys)`, async () => {
		for (const p of imported.values()) {
			if (p.type !== type) continue;
			const pk = await p.taquito.publicKey();
			for (const msg of payloadsFor(type, 9)) {
				const ours = await sign(signer.port, p.pkh, msg);
				const theirs = (await p.taquito.sign(msg.toString('hex'))).prefixSig;
				assert.ok(verifySignature(msg, pk, ours), `${p.name}: tzsigner's signature does not verify`);
				assert.equal(ours, theirs, `${p.name}: tzsigner and Taquito sign ${msg.toString('hex')} differently`);
				// The watermark form of Taquito's API gives the same bytes signed.
				const split = (await p.taquito.sign(msg.subarray(1).toString('hex'), msg.subarray(0, 1))).prefixSig;
				assert.equal(split, theirs);
			}
		}
	});
}

test("tz4: the proof of possession is byte-identical to Taquito's provePossession", async () => {
	for (const p of imported.values()) {
		if (p.type !== 'tz4') continue;
		const r = await request(signer.port, 'GET', `/bls_prove_possession/${p.pkh}`);
		assert.equal(r.status, 200, r.text);
		const theirs = await p.taquito.provePossession();
		assert.equal(r.json.bls_prove_possession, theirs.prefixSig, p.name);
	}
});
