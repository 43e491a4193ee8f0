// End to end through the Ledger backend: `tzsigner keys import` of
// ledger:// keys held by tests/ledgersim, `tzsigner ledger` setup / hwm /
// reset-hwm / deauthorize, and Taquito's RemoteSigner signing through
// `tzsigner serve --ledger-proxy`; the device's own watermark refusal
// comes back as 409, a key the device did not authorize as 403.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RemoteSigner } from '@taquito/remote-signer';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	cli,
	runCli,
	listKeys,
	startSigner,
	postSign,
	getPublicKey,
	assertOctezError,
	consensusOp,
	blockHeader,
} from './lib/signer.mjs';
import {
	startLedgerSim,
	parseKv,
	SPECULOS_KEYS,
	SPECULOS_DEVICE,
	CHAIN_MAIN,
	CHAIN_MAIN_BYTES,
} from './lib/ledgersim.mjs';

let sim;
let dir;
let signer;
const uri = (curve) => `ledger://${SPECULOS_DEVICE}/${curve}/0h/0h`;
const keys = {};

before(async () => {
	sim = await startLedgerSim(['--prompt-ms', '50']);
	dir = await makeBaseDir('ledger');
	for (const [name, curve] of [['led_tz1', 'ed25519'], ['led_tz2', 'secp256k1'], ['led_tz3', 'P-256']]) {
		const r = await cli(['keys', 'import', name, uri(curve), '--ledger-proxy', sim.proxy, '-d', dir]);
		assert.match(r.stderr, /confirm it with the buttons/, 'the person is told to confirm on the device');
	}
	for (const k of await listKeys(dir)) keys[k.name] = k;
	signer = await startSigner(dir, ['--ledger-proxy', sim.proxy, '-M', '0x11,0x12,0x13']);
});

after(async () => {
	try {
		if (signer) await signer.stop();
		if (sim) await sim.stop();
	} finally {
		await removeTempDirs();
	}
});

test('keys import stores octez ledger:// URIs with the public key and hash the device gave', async () => {
	assert.equal(keys.led_tz1.pkh, SPECULOS_KEYS.ed25519.pkh);
	assert.equal(keys.led_tz1.publicKey, SPECULOS_KEYS.ed25519.pk);
	assert.equal(keys.led_tz2.publicKey, SPECULOS_KEYS.secp256k1.pk);
	assert.equal(keys.led_tz3.publicKey, SPECULOS_KEYS.p256.pk);
	for (const k of Object.values(keys)) assert.equal(k.storage, 'ledger');
	const sk = JSON.parse(await readFile(path.join(dir, 'secret_keys'), 'utf8'));
	assert.deepEqual(
		sk.map((e) => e.value),
		[uri('ed25519'), uri('secp256k1'), uri('P-256')],
	);
});

test('keys import refuses a URI of another device and a malformed URI', async () => {
	const other = await runCli(['keys', 'import', 'x', 'ledger://calculating-meerkat-straight-beetle/ed25519/0h/0h',
		'--ledger-proxy', sim.proxy, '-d', dir]);
	assert.notEqual(other.code, 0);
	assert.match(other.stderr, /is ledger:\/\/kooky-chameleon-pointless-caracal\/, not ledger:\/\/calculating-meerkat-straight-beetle\//);
	const bad = await runCli(['keys', 'import', 'x', 'ledger://not-an-animal/ed25519/0h', '-d', dir]);
	assert.notEqual(bad.code, 0);
	assert.match(bad.stderr, /neither a tz1 address nor an animal name/);
	const curve = await runCli(['keys', 'import', 'x', `ledger://${SPECULOS_DEVICE}/ed2519/0h/0h`, '--ledger-proxy', sim.proxy, '-d', dir]);
	assert.notEqual(curve.code, 0);
	assert.match(curve.stderr, /unknown curve 'ed2519' \(the curves are ed25519, secp256k1, P-256/);
});

test('ledger list names the device, its transport, app, version and authorized key', async () => {
	const { stdout } = await cli(['ledger', 'list', '--ledger-proxy', sim.proxy]);
	const line = stdout.trim().split('\n')[0];
	assert.match(line, new RegExp(`^ledger://${SPECULOS_DEVICE}/ transport="speculos ${sim.proxy}" app="Tezos Baking" version=2\\.5\\.0 authorized=`));
});

async function ledgerSetup(curve, mainHwm) {
	const r = await cli(['ledger', 'setup', uri(curve), '--chain', CHAIN_MAIN, '--main-hwm', String(mainHwm), '--ledger-proxy', sim.proxy]);
	assert.match(r.stderr, /Press the buttons on the device/);
	return r;
}

for (const [name, curve] of [['led_tz1', 'ed25519'], ['led_tz2', 'secp256k1'], ['led_tz3', 'P-256']]) {
	test(`RemoteSigner signs with ${name} (${curve}) on the device; signatures verify`, async () => {
		await ledgerSetup(curve, 0);
		const k = keys[name];
		const rs = new RemoteSigner(k.pkh, `${signer.url}/`);
		assert.equal(await rs.publicKey(), k.publicKey);
		assert.equal(await getPublicKey(signer.port, k.pkh), k.publicKey);
		const base = 10_000 * (1 + Object.keys(keys).indexOf(name));
		const ops = [
			consensusOp({ magic: 0x12, tag: 20, chainId: CHAIN_MAIN_BYTES, level: base, round: 0 }),
			consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level: base, round: 0 }),
			blockHeader({ chainId: CHAIN_MAIN_BYTES, level: base + 1, round: 0, lockedRound: null }),
		];
		for (const op of ops) {
			const { prefixSig } = await rs.sign(op.subarray(1).toString('hex'), new Uint8Array([op[0]]));
			assert.ok(verifySignature(op.subarray(1).toString('hex'), k.publicKey, prefixSig, new Uint8Array([op[0]])),
				`${name}: signature of 0x${op[0].toString(16)} does not verify`);
		}
		const st = parseKv(await sim.control('state'));
		assert.equal(Number(st.main_level), base + 1, 'the device recorded the block level');
	});
}

test("the device's own watermark refusal (6A80) is a 409 naming the device", async () => {
	await ledgerSetup('ed25519', 50_000);
	const op = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level: 40_000, round: 0 });
	const r = await postSign(signer.port, keys.led_tz1.pkh, op);
	assertOctezError(r, 409, /ledger:\/\/kooky-chameleon-pointless-caracal\/.*device's own high watermark/, 'below the device HWM');
	const h = await cli(['ledger', 'hwm', `ledger://${SPECULOS_DEVICE}/`, '--ledger-proxy', sim.proxy]);
	assert.equal(h.stdout.trim(), `main_level=50000 main_round=0 test_level=0 test_round=0 chain=${CHAIN_MAIN}`);
});

test('a key the device has not authorized gets 403 with the reason', async () => {
	await ledgerSetup('ed25519', 60_000);
	const op = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level: 70_000, round: 0 });
	const r = await postSign(signer.port, keys.led_tz2.pkh, op);
	assertOctezError(r, 403, /not the key authorized for baking/, 'unauthorized key');
});

test('the box watermark still applies in front of the device', async () => {
	await ledgerSetup('ed25519', 80_000);
	const op = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level: 80_010, round: 0 });
	assert.equal((await postSign(signer.port, keys.led_tz1.pkh, op)).status, 200);
	const signsBefore = Number(parseKv(await sim.control('state')).signs);
	const lower = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level: 80_005, round: 0 });
	const r = await postSign(signer.port, keys.led_tz1.pkh, lower);
	assert.equal(r.status, 409, r.text);
	assert.equal(Number(parseKv(await sim.control('state')).signs), signsBefore, 'the refused request reached the device');
});

test('ledger reset-hwm asks for confirmation and moves both watermarks; deauthorize forgets the key', async () => {
	const r = await cli(['ledger', 'reset-hwm', `ledger://${SPECULOS_DEVICE}/`, '123', '--ledger-proxy', sim.proxy]);
	assert.match(r.stderr, /Press the buttons on the device/);
	const h = await cli(['ledger', 'hwm', `ledger://${SPECULOS_DEVICE}/`, '--ledger-proxy', sim.proxy]);
	assert.match(h.stdout, /^main_level=123 main_round=0 test_level=123 test_round=0 /);
	await sim.control('reject on');
	const rej = await runCli(['ledger', 'reset-hwm', `ledger://${SPECULOS_DEVICE}/`, '7', '--ledger-proxy', sim.proxy]);
	await sim.control('reject off');
	assert.notEqual(rej.code, 0);
	assert.match(rej.stderr, /rejected on the device/);
	await cli(['ledger', 'deauthorize', `ledger://${SPECULOS_DEVICE}/`, '--ledger-proxy', sim.proxy]);
	const l = await cli(['ledger', 'list', '--ledger-proxy', sim.proxy]);
	assert.match(l.stdout, /authorized=none/);
});
