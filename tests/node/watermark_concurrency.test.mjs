// High watermarks under concurrency (issue #3): many requests for one key
// racing at the same (level, round) yield exactly one signature; different
// keys do not wait for each other's watermark. Its name matches
// *concurren*, so `make tsan` runs it against the ThreadSanitizer build.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { verifySignature } from '@taquito/utils';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	postSign,
	assertOctezError,
	randomChainId,
} from './lib/signer.mjs';
import { op } from './lib/watermark.mjs';

const N = 32;
let dir;
const keys = {};

before(async () => {
	dir = await makeBaseDir('wmconc');
	for (const t of ['tz1', 'tz2', 'tz4']) keys[t] = await genKey(dir, `wc_${t}`, t);
});

after(removeTempDirs);

// Opens n connections first, then writes the n requests at once, so they
// reach the signer's per-connection threads together.
async function race(port, jobs) {
	const agents = jobs.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
	try {
		// Warm each agent's socket with a cheap GET so the POSTs below do not
		// queue behind connection setup.
		await Promise.all(
			agents.map(
				(agent) =>
					new Promise((resolve, reject) => {
						const req = http.get({ host: '127.0.0.1', port, path: '/authorized_keys', agent }, (res) => {
							res.resume();
							res.on('end', resolve);
						});
						req.on('error', reject);
					}),
			),
		);
		return await Promise.all(jobs.map((j, i) => postSign(port, j.pkh, j.bytes, { agent: agents[i] }).then((r) => ({ ...j, r }))));
	} finally {
		for (const a of agents) a.destroy();
	}
}

// N different payloads at one (chain, level, round) for one key: exactly one
// 200 (verifying), N-1 409s in octez's shape; afterwards the winner's bytes
// get the same signature again and a loser's bytes are still refused.
async function oneWinner(s, type, kind, level) {
	const chainId = randomChainId();
	const key = keys[type];
	const jobs = [];
	for (let i = 0; i < N; i++) jobs.push({ pkh: key.pkh, bytes: op({ kind, level, round: 0, chainId, keyType: type }) });
	assert.equal(new Set(jobs.map((j) => j.bytes.toString('hex'))).size, N, 'payloads are not all different');
	const results = await race(s.port, jobs);
	const ok = results.filter((x) => x.r.status === 200);
	const refused = results.filter((x) => x.r.status === 409);
	const other = results.filter((x) => x.r.status !== 200 && x.r.status !== 409);
	assert.deepEqual(other.map((x) => `${x.r.status} ${x.r.text}`), [], `${type} ${kind}: answers other than 200/409`);
	assert.equal(ok.length, 1, `${type} ${kind} level ${level}: ${ok.length} signatures for ${N} different payloads at one (level, round)`);
	assert.equal(refused.length, N - 1);
	const win = ok[0];
	assert.ok(verifySignature(win.bytes, key.publicKey, win.r.json.signature), `${type}: the one signature does not verify`);
	for (const x of refused)
		assertOctezError(x.r, 409, new RegExp(`^${kind} level ${level} and round 0 (not above high watermark|already signed with different)`), `${type} loser`);
	const again = await postSign(s.port, key.pkh, win.bytes);
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.signature, win.r.json.signature, 'the winner re-sent: not the same signature');
	assertOctezError(await postSign(s.port, key.pkh, refused[0].bytes), 409, null, 'a loser re-sent');
	return win;
}

for (const durability of ['reserve', 'sync']) {
	test(`${N} concurrent different payloads at one (level, round), --durability ${durability}: exactly one signature (tz1, tz2, tz4)`, async () => {
		const s = await startSigner(dir, ['--durability', durability]);
		try {
			// several levels, so the race is run on a fresh slot and on one
			// that already has a record (level 2, 3 after level 1)
			for (const type of ['tz1', 'tz4', 'tz2']) {
				await oneWinner(s, type, 'attestation', 1);
				await oneWinner(s, type, 'attestation', 2);
				await oneWinner(s, type, 'preattestation', 2);
				await oneWinner(s, type, 'block', 3);
			}
		} finally {
			await s.stop();
		}
	});
}

test(`${N} concurrent requests at rising levels for one key: at most one per level, none below a signed one (sync)`, async () => {
	const s = await startSigner(dir, ['--durability', 'sync']);
	try {
		const chainId = randomChainId();
		const jobs = [];
		for (let i = 0; i < N; i++) {
			const level = 50 + Math.floor(i / 4);
			jobs.push({ pkh: keys.tz1.pkh, level, bytes: op({ kind: 'attestation', level, round: i % 2, chainId }) });
		}
		const results = await race(s.port, jobs);
		const seen = new Map();
		for (const x of results) {
			assert.ok(x.r.status === 200 || x.r.status === 409, `${x.r.status} ${x.r.text}`);
			if (x.r.status !== 200) continue;
			assert.ok(verifySignature(x.bytes, keys.tz1.publicKey, x.r.json.signature));
			const k = `${x.level}/${x.bytes.readInt32BE(44)}`;
			assert.ok(!seen.has(k), `two signatures at (level, round) ${k}`);
			seen.set(k, x);
		}
		assert.ok(seen.size >= 1);
		// Whatever won, the highest signed (level, round) is now the watermark.
		const top = [...seen.values()].sort((a, b) => b.level - a.level || b.bytes.readInt32BE(44) - a.bytes.readInt32BE(44))[0];
		const r = await postSign(s.port, keys.tz1.pkh, op({ kind: 'attestation', level: top.level, round: top.bytes.readInt32BE(44), chainId }));
		assertOctezError(r, 409, null, 'other bytes at the highest signed (level, round)');
	} finally {
		await s.stop();
	}
});

test('different keys proceed in parallel: three keys sign at the same (chain, level, round) at once, each with its own one winner', async () => {
	const s = await startSigner(dir);
	try {
		const chainId = randomChainId();
		// 1. one request per key, all at once, same (chain, level, round): all sign
		const types = ['tz1', 'tz2', 'tz4'];
		const same = types.map((t) => ({ type: t, pkh: keys[t].pkh, bytes: op({ kind: 'attestation', level: 700, round: 0, chainId, keyType: t }) }));
		for (const x of await race(s.port, same)) {
			assert.equal(x.r.status, 200, `${x.type}: ${x.r.text}`);
			assert.ok(verifySignature(x.bytes, keys[x.type].publicKey, x.r.json.signature), `${x.type} signature`);
		}
		// 2. ten payloads per key, interleaved, all at once at the next level:
		//    one winner per key, not one overall.
		const mixed = [];
		for (let i = 0; i < 30; i++) {
			const t = types[i % 3];
			mixed.push({ type: t, pkh: keys[t].pkh, bytes: op({ kind: 'attestation', level: 701, round: 0, chainId, keyType: t }) });
		}
		const results = await race(s.port, mixed);
		for (const t of types) {
			const mine = results.filter((x) => x.type === t);
			const ok = mine.filter((x) => x.r.status === 200);
			assert.equal(ok.length, 1, `${t}: ${ok.length} signatures at level 701`);
			assert.ok(verifySignature(ok[0].bytes, keys[t].publicKey, ok[0].r.json.signature));
			assert.deepEqual(mine.filter((x) => x.r.status !== 200).map((x) => x.r.status), Array(9).fill(409));
		}
	} finally {
		await s.stop();
	}
});
