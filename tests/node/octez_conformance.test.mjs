// Conformance with octez's own HTTP remote-signer client (lib/octez_client.mjs:
// every request shape there cites the octez source it comes from). For
// octez-client / octez-baker v24 (signature version 2) and v25 (version 3),
// against `tzsigner serve` with and without -A, for tz1, tz2, tz3 and tz4
// local keys and a Ledger key on tests/ledgersim: the wallet imports the key
// (GET /keys/<pkh>), then signs a block, a preattestation and an attestation
// the way the baker does (GET /authorized_keys, then POST
// /keys/<pkh>?[authentication=…&]version=N with a JSON hex body), and
// every signature is verified with Taquito's verifySignature.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	cloneBaseDir,
	teardown,
	genKey,
	cli,
	listKeys,
	startSigner,
	consensusOp,
	blockHeader,
	randomChainId,
	assertOctezError,
	request,
} from './lib/signer.mjs';
import { randomClient } from './lib/watermark.mjs';
import { startLedgerSim, SPECULOS_DEVICE, CHAIN_MAIN, CHAIN_MAIN_BYTES } from './lib/ledgersim.mjs';
import { OctezHttpSigner, OCTEZ_VERSIONS, rawExchange, octezRequest } from './lib/octez_client.mjs';

const TYPES = ['tz1', 'tz2', 'tz3', 'tz4'];
const keys = {};
let authClient; // the wallet's key that -A authorizes (ed25519, octez's default)
const signers = {}; // plain, auth, ledger, ledgerAuth
let sim;
let ledgerKey;

before(async () => {
	const dir = await makeBaseDir('octez-conf');
	for (const t of TYPES) keys[t] = await genKey(dir, `conf_${t}`, t);
	signers.plain = await startSigner(dir);
	const authDir = await cloneBaseDir(dir, 'octez-conf-auth');
	authClient = randomClient('tz1').signer;
	await cli(['keys', 'authorize', await authClient.publicKey(), '--name', 'baker-wallet', '-d', authDir]);
	signers.auth = await startSigner(authDir, ['-A']);

	sim = await startLedgerSim(['--prompt-ms', '20']);
	const ledgerDir = await makeBaseDir('octez-conf-ledger');
	await cli(['keys', 'import', 'conf_ledger', `ledger://${SPECULOS_DEVICE}/ed25519/0h/0h`, '--ledger-proxy', sim.proxy, '-d', ledgerDir]);
	[ledgerKey] = await listKeys(ledgerDir);
	await cli(['ledger', 'setup', `ledger://${SPECULOS_DEVICE}/ed25519/0h/0h`, '--chain', CHAIN_MAIN, '--main-hwm', '0', '--ledger-proxy', sim.proxy]);
	const ledgerAuthDir = await cloneBaseDir(ledgerDir, 'octez-conf-ledger-auth');
	await cli(['keys', 'authorize', await authClient.publicKey(), '--name', 'baker-wallet', '-d', ledgerAuthDir]);
	signers.ledger = await startSigner(ledgerDir, ['--ledger-proxy', sim.proxy]);
	signers.ledgerAuth = await startSigner(ledgerAuthDir, ['--ledger-proxy', sim.proxy, '-A']);
});

after(() => teardown(...Object.values(signers), sim));

// What a baker signs in one level: the block (0x11), its preattestation
// (0x12) and attestation (0x13), with the watermark (magic ‖ chain id)
// http_gen.ml prepends. tz4 keys sign the "bls mode" tags 40/41; the
// others 20 and 21, or 23 (attestation with DAL) every other level.
function levelOps(type, chainId, level) {
	const bls = type === 'tz4';
	return [
		blockHeader({ chainId, level, round: 0, lockedRound: null }),
		consensusOp({ magic: 0x12, tag: bls ? 40 : 20, chainId, level, round: 0 }),
		consensusOp({ magic: 0x13, tag: bls ? 41 : level % 2 ? 23 : 21, chainId, level, round: 0 }),
	];
}

async function runBaker(client, { chainId, firstLevel, levels = 2 }) {
	const pk = await client.importKey();
	for (let level = firstLevel; level < firstLevel + levels; level++) {
		for (const msg of levelOps(client.type, chainId, level)) {
			const r = await client.sign(msg);
			assert.equal(r.status, 200, `${client.pkh} 0x${msg[0].toString(16)} level ${level}: ${JSON.stringify(r.error)}`);
			assert.ok(r.verified, `octez's check (Client_keys.sign: Signature.check) fails for ${r.signature}`);
			assert.ok(verifySignature(msg, pk, r.signature), 'Taquito does not verify');
		}
	}
	return pk;
}

// octez's order: the import asks for the public key once; each sign is
// GET /authorized_keys then POST (the wallet then has the public key).
function assertOctezOrder(trace, pkh, signs, { auth, version }) {
	assert.equal(trace[0], `GET /keys/${pkh}`);
	const rest = trace.slice(1);
	assert.equal(rest.length, 2 * signs, rest.join('\n'));
	for (let i = 0; i < signs; i++) {
		assert.equal(rest[2 * i], 'GET /authorized_keys');
		const post = new RegExp(`^POST /keys/${pkh}\\?${auth ? 'authentication=[1-9A-HJ-NP-Za-km-z]+&' : ''}version=${version}$`);
		assert.match(rest[2 * i + 1], post);
	}
}

for (const version of Object.keys(OCTEZ_VERSIONS)) {
	const sigVersion = OCTEZ_VERSIONS[version].signatureVersion;
	describe(`octez ${version} (${OCTEZ_VERSIONS[version].tag}, signature version ${sigVersion})`, () => {
		for (const type of TYPES) {
			for (const auth of [false, true]) {
				test(`${type} ${auth ? 'with' : 'without'} -A: import, then a baker's block, preattestation and attestation, verified`, async () => {
					const s = auth ? signers.auth : signers.plain;
					const client = new OctezHttpSigner({ port: s.port, pkh: keys[type].pkh, version, auth: auth ? authClient : null });
					client.type = type;
					const pk = await runBaker(client, { chainId: randomChainId(), firstLevel: 1000 });
					assert.equal(pk, keys[type].publicKey);
					assertOctezOrder(client.trace, keys[type].pkh, 6, { auth, version: sigVersion });
				});
			}
		}

		for (const auth of [false, true]) {
			test(`Ledger key (ledgersim) ${auth ? 'with' : 'without'} -A: the same baker's sequence, verified`, async () => {
				const s = auth ? signers.ledgerAuth : signers.ledger;
				const client = new OctezHttpSigner({ port: s.port, pkh: ledgerKey.pkh, version, auth: auth ? authClient : null });
				client.type = 'tz1';
				// The device keeps one high watermark across both signers: levels only go up.
				const firstLevel = 100 + 10 * (2 * Object.keys(OCTEZ_VERSIONS).indexOf(version) + (auth ? 1 : 0));
				const pk = await runBaker(client, { chainId: CHAIN_MAIN_BYTES, firstLevel });
				assert.equal(pk, ledgerKey.publicKey);
				assertOctezOrder(client.trace, ledgerKey.pkh, 6, { auth, version: sigVersion });
			});
		}
	});
}

test('a wallet without the public key asks for it after the sign (Client_keys.sign), and the signature checks', async () => {
	const client = new OctezHttpSigner({ port: signers.plain.port, pkh: keys.tz4.pkh, version: 'v25' });
	const msg = consensusOp({ magic: 0x13, tag: 41, chainId: randomChainId(), level: 7, round: 1 });
	const r = await client.sign(msg);
	assert.equal(r.status, 200);
	assert.ok(r.verified);
	assert.deepEqual(client.trace, ['GET /authorized_keys', `POST /keys/${keys.tz4.pkh}?version=3`, `GET /keys/${keys.tz4.pkh}`]);
});

test('with -A, GET /authorized_keys lists the authorized hash; without, it is {} (octez: None)', async () => {
	for (const [s, want] of [[signers.plain, {}], [signers.auth, { authorized_keys: [await authClient.publicKeyHash()] }]]) {
		const r = await rawExchange(s.port, octezRequest(s.port, 'GET', '/authorized_keys'));
		assert.equal(r.status, 200);
		assert.deepEqual(r.json, want);
	}
});

test('with -A, a wallet without an authorized key is refused (401), as octez-signer refuses it', async () => {
	const stranger = new OctezHttpSigner({ port: signers.auth.port, pkh: keys.tz1.pkh, version: 'v25', auth: randomClient('tz1').signer });
	await stranger.importKey();
	const msg = blockHeader({ chainId: randomChainId(), level: 5 });
	// The octez client would stop before sending (no authorized key in its
	// wallet); a request signed by another key must not pass either.
	const body = Buffer.concat([Buffer.from([0x01]), Buffer.alloc(21), msg]);
	const sig = (await stranger.auth.sign(body.toString('hex'), new Uint8Array([0x04]))).prefixSig;
	const r = await rawExchange(signers.auth.port, octezRequest(signers.auth.port, 'POST', `/keys/${keys.tz1.pkh}?authentication=${sig}&version=3`, JSON.stringify(msg.toString('hex'))));
	assert.equal(r.status, 401, r.body.toString());
	const noAuth = await rawExchange(signers.auth.port, octezRequest(signers.auth.port, 'POST', `/keys/${keys.tz1.pkh}?version=3`, JSON.stringify(msg.toString('hex'))));
	assert.equal(noAuth.status, 401, noAuth.body.toString());
});

// A tz4 key on Tezos Baking 2.5.1 (ledgersim --app-version 2.5.1): the app
// signs only with the augmented scheme (octez's version 1), and octez
// v24/v25 clients always send 2/3 (Client_keys.sign: Signature.version), so
// their requests are refused with the reason, never answered with a
// signature their check (Signature.check) would reject.
test('a tz4 Ledger key under octez v24/v25 requests: 403 naming the augmented-only app', async () => {
	const sim25 = await startLedgerSim(['--app-version', '2.5.1', '--prompt-ms', '0']);
	let s;
	try {
		const dir = await makeBaseDir('octez-conf-ledger-bls');
		const uri = `ledger://${SPECULOS_DEVICE}/bls12_381/0h/0h`;
		await cli(['keys', 'import', 'bls_ledger', uri, '--ledger-proxy', sim25.proxy, '-d', dir]);
		const [k] = await listKeys(dir);
		await cli(['ledger', 'setup', uri, '--chain', CHAIN_MAIN, '--main-hwm', '0', '--ledger-proxy', sim25.proxy]);
		s = await startSigner(dir, ['--ledger-proxy', sim25.proxy]);
		for (const version of Object.keys(OCTEZ_VERSIONS)) {
			const client = new OctezHttpSigner({ port: s.port, pkh: k.pkh, version });
			assert.equal(await client.importKey(), k.publicKey);
			const r = await client.sign(blockHeader({ chainId: CHAIN_MAIN_BYTES, level: 50 }));
			assert.equal(r.status, 403, JSON.stringify(r.error));
			assert.match(r.error[0].msg, /augmented BLS scheme, octez's signature version 1/);
		}
	} finally {
		if (s) await s.stop();
		await sim25.stop();
	}
});

// octez-signer's RPC server takes every media type (http_daemon.ml:
// RPC_server.init_server ~media_types:Media_type.all_media_types); a body in
// application/octet-stream is octez's binary form of Data_encoding.bytes,
// with the size header media_type.ml's octet_stream adds (dynamic_size):
// a 4-byte big-endian length, then the bytes.
test('application/octet-stream bodies (u32be length ‖ bytes) sign like JSON ones', async () => {
	for (const type of TYPES) {
		const msg = type === 'tz4' ? consensusOp({ magic: 0x13, tag: 41 }) : blockHeader();
		const len = Buffer.alloc(4);
		len.writeUInt32BE(msg.length);
		const r = await request(signers.plain.port, 'POST', `/keys/${keys[type].pkh}?version=3`, Buffer.concat([len, msg]), {
			headers: { 'Content-Type': 'application/octet-stream' },
		});
		assert.equal(r.status, 200, r.text);
		assert.ok(verifySignature(msg, keys[type].publicKey, r.json.signature), `${type}: octet-stream signature does not verify`);
	}
	const raw = blockHeader();
	const r = await request(signers.plain.port, 'POST', `/keys/${keys.tz1.pkh}`, raw, { headers: { 'Content-Type': 'application/octet-stream' } });
	assertOctezError(r, 400, /length header says/, 'octet-stream body without its length header');
});
