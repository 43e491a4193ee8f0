// Ledger's own JavaScript client (@ledgerhq/hw-app-tezos over
// @ledgerhq/hw-transport-node-speculos) against tests/ledgersim: evidence
// that the simulator speaks the real baking app protocol. Addresses are
// checked against Taquito's InMemorySigner.fromMnemonic (an independent
// derivation) and the vectors of the real app under speculos (design §2.4);
// signatures against @taquito/utils' verifySignature.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { InMemorySigner } from '@taquito/signer';
import { verifySignature, b58Encode, PrefixV2 } from '@taquito/utils';
import { consensusOp, blockHeader } from './lib/signer.mjs';
import { startLedgerSim, SPECULOS_MNEMONIC, SPECULOS_KEYS, derToCompact } from './lib/ledgersim.mjs';

const require = createRequire(import.meta.url);
const SpeculosTransport = require('@ledgerhq/hw-transport-node-speculos').default;
const Tezos = require('@ledgerhq/hw-app-tezos').default;

const PATH = "44'/1729'/0'/0'";
const CURVES = [
	{ name: 'ed25519', code: 0, taquito: 'ed25519', sig: PrefixV2.Ed25519Signature },
	{ name: 'secp256k1', code: 1, taquito: 'secp256k1', sig: PrefixV2.Secp256k1Signature },
	{ name: 'p256', code: 2, taquito: 'p256', sig: PrefixV2.P256Signature },
];

let sim;
let transport;
let tez;

before(async () => {
	sim = await startLedgerSim(['--prompt-ms', '0']);
	transport = await SpeculosTransport.open({ apduPort: sim.apduPort });
	tez = new Tezos(transport);
});

after(async () => {
	if (transport) await transport.close();
	if (sim) await sim.stop();
});

function pathBytes(path) {
	const parts = path.split('/').map((p) => (p.endsWith("'") ? (parseInt(p, 10) | 0x80000000) >>> 0 : parseInt(p, 10)));
	const b = Buffer.alloc(1 + 4 * parts.length);
	b[0] = parts.length;
	parts.forEach((p, i) => b.writeUInt32BE(p, 1 + 4 * i));
	return b;
}

// INS 0A: chain_id ‖ main level ‖ test level ‖ path, sent through the
// client's own transport (the JS app has no setup call).
async function setup(curve, chainId, mainLevel) {
	const data = Buffer.alloc(12);
	chainId.copy(data, 0);
	data.writeUInt32BE(mainLevel, 4);
	data.writeUInt32BE(0, 8);
	const res = await transport.send(0x80, 0x0a, 0x00, curve, Buffer.concat([data, pathBytes(PATH)]));
	assert.equal(res.readUInt16BE(res.length - 2), 0x9000);
	return res;
}

test('the JS client reads the app version: Tezos Baking 2.5.0', async () => {
	assert.deepEqual(await tez.getVersion(), { major: 2, minor: 5, patch: 0, bakingApp: true });
});

for (const c of CURVES) {
	test(`getAddress ${c.name} at ${PATH} equals Taquito's fromMnemonic and the real app's vector`, async () => {
		const { address, publicKey } = await tez.getAddress(PATH, { curve: c.code });
		const oracle = InMemorySigner.fromMnemonic({ mnemonic: SPECULOS_MNEMONIC, derivationPath: PATH, curve: c.taquito });
		assert.equal(address, await oracle.publicKeyHash());
		const raw = Buffer.from(publicKey, 'hex');
		const compressed = c.code === 0 ? raw.subarray(1) : Buffer.concat([Buffer.from([0x02 | (raw[64] & 1)]), raw.subarray(1, 33)]);
		const pkPrefix = [PrefixV2.Ed25519PublicKey, PrefixV2.Secp256k1PublicKey, PrefixV2.P256PublicKey][c.code];
		assert.equal(b58Encode(compressed, pkPrefix), await oracle.publicKey());
		assert.equal(b58Encode(compressed, pkPrefix), SPECULOS_KEYS[c.name].pk);
		if (SPECULOS_KEYS[c.name].pkh) assert.equal(address, SPECULOS_KEYS[c.name].pkh);
	});
}

for (const c of CURVES) {
	test(`signOperation ${c.name}: attestation and block signatures verify with verifySignature; a repeat gets 6A80`, async () => {
		const chainId = Buffer.from('7a06a770', 'hex');
		await setup(c.code, chainId, 1000);
		const { publicKey } = await tez.getAddress(PATH, { curve: c.code });
		const raw = Buffer.from(publicKey, 'hex');
		const compressed = c.code === 0 ? raw.subarray(1) : Buffer.concat([Buffer.from([0x02 | (raw[64] & 1)]), raw.subarray(1, 33)]);
		const pk = b58Encode(compressed, [PrefixV2.Ed25519PublicKey, PrefixV2.Secp256k1PublicKey, PrefixV2.P256PublicKey][c.code]);
		const ops = [
			consensusOp({ magic: 0x13, tag: 21, chainId, level: 1001, round: 0 }),
			blockHeader({ chainId, level: 1002, round: 1, lockedRound: null }),
			consensusOp({ magic: 0x12, tag: 20, chainId, level: 1003, round: 0 }),
		];
		for (const op of ops) {
			const { signature } = await tez.signOperation(PATH, op.toString('hex'), { curve: c.code });
			const bytes = Buffer.from(signature, 'hex');
			const sig = c.code === 0 ? bytes : derToCompact(bytes, c.taquito);
			assert.equal(sig.length, 64);
			const sigText = b58Encode(sig, c.sig);
			assert.ok(
				verifySignature(op.subarray(1).toString('hex'), pk, sigText, new Uint8Array([op[0]])),
				`${c.name} signature of magic 0x${op[0].toString(16)} does not verify`,
			);
		}
		await assert.rejects(
			tez.signOperation(PATH, ops[2].toString('hex'), { curve: c.code }),
			(err) => err.statusCode === 0x6a80,
			'the device signed the same preattestation twice',
		);
	});
}

test('a key other than the authorized one gets 6982; a manager operation gets 9405', async () => {
	const chainId = Buffer.from('7a06a770', 'hex');
	await setup(0, chainId, 0);
	const op = consensusOp({ magic: 0x13, tag: 21, chainId, level: 5, round: 0 });
	await assert.rejects(tez.signOperation("44'/1729'/1'/0'", op.toString('hex'), { curve: 0 }), (e) => e.statusCode === 0x6982);
	const manager = Buffer.concat([Buffer.from([0x03]), Buffer.alloc(40, 1)]);
	await assert.rejects(tez.signOperation(PATH, manager.toString('hex'), { curve: 0 }), (e) => e.statusCode === 0x9405);
});
