// What really happens to a Ledger on a Raspberry Pi, flipped at run time
// on tests/ledgersim: unplugged, app closed, another app, locked, slow.
// Each fault turns sign requests into a 503 within the exchange timeout,
// with a message naming the cause; once it clears, signing resumes on its
// own, without restarting tzsigner. A hung device never blocks a key that
// lives elsewhere.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	makeBaseDir,
	removeTempDirs,
	cli,
	genKey,
	listKeys,
	startSigner,
	postSign,
	assertOctezError,
	consensusOp,
} from './lib/signer.mjs';
import { startLedgerSim, parseKv, SPECULOS_DEVICE, CHAIN_MAIN, CHAIN_MAIN_BYTES } from './lib/ledgersim.mjs';

const TIMEOUT_MS = 1000;
let sim;
let dir;
let signer;
let ledgerKey;
let localKey;
let level = 100;

before(async () => {
	sim = await startLedgerSim(['--prompt-ms', '0']);
	dir = await makeBaseDir('ledger-faults');
	const uri = `ledger://${SPECULOS_DEVICE}/ed25519/0h/0h`;
	await cli(['keys', 'import', 'baker', uri, '--ledger-proxy', sim.proxy, '-d', dir]);
	await cli(['ledger', 'setup', uri, '--chain', CHAIN_MAIN, '--main-hwm', '0', '--ledger-proxy', sim.proxy]);
	localKey = await genKey(dir, 'local', 'tz1');
	ledgerKey = (await listKeys(dir)).find((k) => k.name === 'baker');
	signer = await startSigner(dir, ['--ledger-proxy', sim.proxy, '--ledger-timeout', String(TIMEOUT_MS)]);
});

after(async () => {
	try {
		if (signer) await signer.stop();
		if (sim) await sim.stop();
	} finally {
		await removeTempDirs();
	}
});

function attestation() {
	level += 1;
	return consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level, round: 0 });
}

async function signTimed(pkh) {
	const t0 = Date.now();
	const r = await postSign(signer.port, pkh, attestation());
	return { r, ms: Date.now() - t0 };
}

// Polls until the ledger key signs again; returns how long it took.
async function waitForRecovery(limitMs = 8000) {
	const t0 = Date.now();
	for (;;) {
		const { r } = await signTimed(ledgerKey.pkh);
		if (r.status === 200) return Date.now() - t0;
		assert.equal(r.status, 503, `while recovering: ${r.status} ${r.text}`);
		if (Date.now() - t0 > limitMs) assert.fail(`signing did not resume within ${limitMs} ms: ${r.text}`);
		await new Promise((res) => setTimeout(res, 100));
	}
}

test('the ledger key signs before any fault', async () => {
	const { r } = await signTimed(ledgerKey.pkh);
	assert.equal(r.status, 200, r.text);
});

const FAULTS = [
	{ on: 'unplug', off: 'plug', msg: /unplugged|closed the connection/ },
	{ on: 'app closed', off: 'app open', msg: /Tezos Baking app is not open on ledger:\/\/kooky-chameleon-pointless-caracal\// },
	{ on: 'app other', off: 'app open', msg: /Tezos Baking app is not open on ledger:\/\/kooky-chameleon-pointless-caracal\/.*another app/ },
	{ on: 'lock', off: 'unlock', msg: /locked: enter its PIN/ },
];

for (const f of FAULTS) {
	test(`${f.on}: 503 within the timeout naming the cause, then signing resumes by itself`, async () => {
		await sim.control(f.on);
		for (let i = 0; i < 3; i++) {
			const { r, ms } = await signTimed(ledgerKey.pkh);
			assertOctezError(r, 503, f.msg, `${f.on} #${i}`);
			assert.ok(ms < TIMEOUT_MS + 1500, `${f.on}: answered after ${ms} ms`);
		}
		const local = await signTimed(localKey.pkh);
		assert.equal(local.r.status, 200, `the local key is affected by ${f.on}: ${local.r.text}`);
		await sim.control(f.off);
		await waitForRecovery();
		assert.equal(signer.stderr().includes('event=listening'), true);
	});
}

test('a slow device: 503 after the timeout; a local key signs meanwhile; recovery once it is fast again', async () => {
	await sim.control(`slow ${TIMEOUT_MS * 3}`);
	const pending = signTimed(ledgerKey.pkh);
	await new Promise((res) => setTimeout(res, 100));
	const local = await signTimed(localKey.pkh);
	assert.equal(local.r.status, 200, local.r.text);
	assert.ok(local.ms < 500, `the local key waited ${local.ms} ms behind the hung device`);
	const { r, ms } = await pending;
	assertOctezError(r, 503, /no answer within 1000 ms/, 'slow device');
	assert.ok(ms >= TIMEOUT_MS - 50 && ms < TIMEOUT_MS + 1500, `timed out after ${ms} ms`);
	await sim.control('slow 0');
	await waitForRecovery();
});

test('an app without sign-with-hash (INS 0F answers 6D00): falls back to INS 04', async () => {
	await sim.control('no-sign-with-hash on');
	const before = Number(parseKv(await sim.control('state')).signs);
	const { r } = await signTimed(ledgerKey.pkh);
	await sim.control('no-sign-with-hash off');
	assert.equal(r.status, 200, r.text);
	assert.equal(Number(parseKv(await sim.control('state')).signs), before + 1);
});

test('the same bytes, retried after a device fault, are signed once it is back; other bytes at that (level, round) are not', async () => {
	await sim.control('unplug');
	level += 1;
	const op = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level, round: 0 });
	const first = await postSign(signer.port, ledgerKey.pkh, op);
	assertOctezError(first, 503, /unplugged|closed the connection/, 'during the fault');
	await sim.control('plug');
	const t0 = Date.now();
	let r;
	for (;;) {
		r = await postSign(signer.port, ledgerKey.pkh, op);
		if (r.status === 200) break;
		assert.equal(r.status, 503, `retrying the same bytes: ${r.status} ${r.text}`);
		if (Date.now() - t0 > 8000) assert.fail(`the same bytes were not signed within 8 s: ${r.text}`);
		await new Promise((res) => setTimeout(res, 100));
	}
	assert.match(JSON.parse(r.text).signature, /^edsig/);
	const other = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level, round: 0 });
	assertOctezError(await postSign(signer.port, ledgerKey.pkh, other), 409, /already signed with different bytes/, 'other bytes');
});
