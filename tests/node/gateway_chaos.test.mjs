// The gateway under faults: 2 gateways, 3 boxes holding the same tz1 and
// tz4 keys (each `tzsigner serve` with its own base dir, behind a path the
// test can cut), a 3-member etcd. A baker-like client signs blocks,
// preattestations and attestations level after level; a hostile client
// sends other payloads at the same levels and rounds, racing it. Meanwhile
// ≥ 100 faults, one at a time: kill -9 and restart of a box, of a gateway,
// of one etcd member; a box's path cut and restored.
//
// Then: every signature that reached a client verifies (Taquito), and per
// (chain, pkh, kind, level, round) at most one distinct payload was ever
// signed by any box (every answer that left a box is recorded by its path,
// whether or not the gateway got it). Prints the share of the baker's
// requests signed while at least one box and an etcd quorum were alive.
// CHAOS_FAULTS sets the number of faults (default 100).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifySignature } from '@taquito/utils';
import { makeBaseDir, removeTempDirs, genKey, postSign, startSigner, assertNoSanitizerReport, randomChainId, parseLevelRound } from './lib/signer.mjs';
import { op, sleep } from './lib/watermark.mjs';
import { startEtcd } from './lib/etcd.mjs';
import { startGateway, startBoxes, startBoxPath } from './lib/gateway.mjs';

const FAULTS = Number(process.env.CHAOS_FAULTS ?? 100);
const GW_ARGS = ['--check-interval', '200', '--box-timeout', '2000', '--etcd-timeout', '400'];
const KINDS = ['block', 'preattestation', 'attestation'];

let cluster, boxes, paths, gws, base;
after(async () => {
	for (const g of gws ?? []) if (g.h) await g.h.kill().catch(() => {});
	for (const p of paths ?? []) await p.stop();
	for (const b of boxes ?? []) if (b.alive) await b.signer.stop().catch(() => {});
	await cluster?.stop();
	await removeTempDirs();
});

function rnd(n) {
	return Math.floor(Math.random() * n);
}

test(`chaos: ${FAULTS} faults, two clients racing, never two payloads signed at one (level, round)`, { timeout: 600_000 }, async () => {
	cluster = await startEtcd({ members: 3 });
	base = await makeBaseDir('chaos');
	const keys = { tz1: await genKey(base, 'baker', 'tz1'), tz4: await genKey(base, 'consensus', 'tz4') };
	boxes = (await startBoxes(base, 3)).map((b) => ({ ...b, alive: true }));
	paths = await Promise.all(boxes.map((b, i) => startBoxPath(b.signer.port, `box${i}`)));
	const gwArgs = [...paths.flatMap((p) => ['--box', p.url]), ...cluster.gatewayArgs(), ...GW_ARGS];
	gws = [];
	for (let i = 0; i < 2; i++) gws.push({ h: await startGateway(gwArgs), alive: true });
	const gwPorts = gws.map((g) => g.h.port);

	const state = () => ({
		box: boxes.some((b, i) => b.alive && paths[i].up),
		quorum: cluster.members.filter((m) => m.alive).length >= 2,
	});

	// One request as a baker does it: to a gateway, the other one when the
	// first cannot be reached (what a Service in front of both does).
	async function send(pkh, bytes, first) {
		for (let t = 0; t < 2; t++) {
			const port = gwPorts[(first + t) % 2];
			try {
				return await postSign(port, pkh, bytes);
			} catch {
				/* that gateway is down: the other one */
			}
		}
		return { status: 0 };
	}

	const chainId = randomChainId();
	const received = []; // {pkh, publicKey, bytes, signature, who}
	const baker = { sent: 0, signed: 0, aliveSent: 0, aliveSigned: 0, lostToHostile: 0, status: {} };
	let stop = false;

	const clients = (async () => {
		let level = 1;
		while (!stop) {
			level++;
			const jobs = [];
			for (const type of ['tz1', 'tz4']) {
				for (const kind of KINDS) {
					const k = keys[type];
					const mine = op({ kind, level, round: 0, chainId, keyType: type });
					const theirs = op({ kind, level, round: 0, chainId, keyType: type });
					const hostileFirst = rnd(2) === 0;
					const bakerJob = (async () => {
						if (hostileFirst) await sleep(rnd(3));
						const st = state();
						const r = await send(k.pkh, mine, rnd(2));
						baker.sent++;
						baker.status[r.status] = (baker.status[r.status] ?? 0) + 1;
						const alive = st.box && st.quorum && state().box && state().quorum;
						if (alive) baker.aliveSent++;
						if (r.status === 200) {
							baker.signed++;
							if (alive) baker.aliveSigned++;
							received.push({ pkh: k.pkh, publicKey: k.publicKey, bytes: mine, signature: r.json.signature, who: 'baker' });
						} else if (r.status === 409) baker.lostToHostile++;
					})();
					const hostileJob = (async () => {
						if (!hostileFirst) await sleep(rnd(3));
						const r = await send(k.pkh, theirs, rnd(2));
						if (r.status === 200)
							received.push({ pkh: k.pkh, publicKey: k.publicKey, bytes: theirs, signature: r.json.signature, who: 'hostile' });
					})();
					jobs.push(bakerJob, hostileJob);
				}
			}
			await Promise.all(jobs);
			await sleep(20);
		}
	})();

	// Two lanes of faults at once, each one fault at a time: the boxes and
	// their paths (so at times two of the three boxes are out), and the
	// gateways and etcd members (never two members down at once).
	const kinds = { box: 0, gateway: 0, etcd: 0, path: 0 };
	let injected = 0;
	async function fault(what) {
		const down = 100 + rnd(300);
		if (what === 'box') {
			const j = rnd(boxes.length);
			const b = boxes[j];
			assertNoSanitizerReport(b.signer.stderr(), `box${j}`);
			b.alive = false;
			b.signer.kill('SIGKILL');
			await b.signer.exited;
			await sleep(down);
			b.signer = await startSigner(b.dir, ['--allow-list-known-keys']);
			paths[j].retarget(b.signer.port);
			b.alive = true;
		} else if (what === 'path') {
			const j = rnd(paths.length);
			await paths[j].stop();
			await sleep(down);
			await paths[j].start();
		} else if (what === 'gateway') {
			const g = gws[rnd(gws.length)];
			assertNoSanitizerReport(g.h.stderr(), 'gateway');
			g.alive = false;
			await g.h.kill('SIGKILL');
			await sleep(down);
			g.h = await g.h.restart();
			g.alive = true;
		} else {
			const m = cluster.members[rnd(cluster.members.length)];
			await m.kill();
			await sleep(down);
			m.start();
			await cluster.waitHealthy(3, 20_000);
		}
		kinds[what]++;
		injected++;
		await sleep(30 + rnd(70));
	}
	const lane = async (a, b, n) => {
		for (let i = 0; i < n; i++) await fault(i % 2 ? a : b);
	};
	await Promise.all([lane('box', 'path', Math.ceil(FAULTS / 2)), lane('gateway', 'etcd', Math.floor(FAULTS / 2))]);
	stop = true;
	await clients;
	await sleep(300);

	// Every signature a client received verifies over its own bytes.
	for (const r of received)
		assert.ok(verifySignature(r.bytes.toString('hex'), r.publicKey, r.signature), `${r.who}: a signature does not verify`);
	// Every signature that ever left a box: at most one payload per spot.
	const spots = new Map();
	let boxSigned = 0;
	const pk = { [keys.tz1.pkh]: keys.tz1.publicKey, [keys.tz4.pkh]: keys.tz4.publicKey };
	for (const s of paths.flatMap((p) => p.signed)) {
		if (s.status !== 200) continue;
		boxSigned++;
		assert.ok(verifySignature(s.payload, pk[s.pkh], s.signature), 'a box signature does not verify');
		const bytes = Buffer.from(s.payload, 'hex');
		const { level, round } = parseLevelRound(bytes);
		const spot = `${bytes.subarray(1, 5).toString('hex')}/${s.pkh}/${bytes[0]}/${level}/${round}`;
		if (!spots.has(spot)) spots.set(spot, new Set());
		spots.get(spot).add(s.payload);
	}
	for (const [spot, payloads] of spots) assert.equal(payloads.size, 1, `${payloads.size} payloads signed at ${spot}`);

	const share = baker.aliveSent ? baker.aliveSigned / baker.aliveSent : 0;
	// The baker's requests that the hostile client had not beaten to the spot.
	const fair = baker.aliveSent - baker.lostToHostile;
	const shareFair = fair > 0 ? baker.aliveSigned / fair : 0;
	const summary = `chaos: faults=${injected} (box=${kinds.box} path=${kinds.path} gateway=${kinds.gateway} etcd=${kinds.etcd}) ` +
		`baker_requests=${baker.sent} signed=${baker.signed} lost_to_hostile=${baker.lostToHostile} ` +
		`alive_requests=${baker.aliveSent} alive_signed=${baker.aliveSigned} share=${(100 * share).toFixed(1)}% ` +
		`share_not_beaten_by_hostile=${(100 * shareFair).toFixed(1)}% ` +
		`statuses=${JSON.stringify(baker.status)} box_signatures=${boxSigned} spots=${spots.size}`;
	console.log(summary);
	assert.ok(injected >= FAULTS);
	assert.ok(baker.signed > 0 && spots.size > 0, summary);
	for (const g of gws) await g.h.stop();
	gws = [];
});
