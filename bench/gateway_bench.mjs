#!/usr/bin/env node
// bench/gateway_bench.mjs - the latency the gateway adds, with its etcd
// transaction, on loopback.
//
// Starts a 3-member etcd (Debian's etcd-server, tests/node/lib/etcd.mjs), one
// box (`tzsigner serve`, release build, a tz1 key) and `tzsigner gateway` in
// front of it. Clients send attestations (tag 21) at rising levels, each
// client on its own chain id (its own etcd record), one keep-alive
// connection each, in rounds that alternate between the box directly and
// the gateway so both see the same machine conditions. Every request
// through the gateway is a consensus request: one etcd txn (a Raft commit)
// before the box signs, as each client's record was written by this gateway
// just before. Concurrency 1 and 8.
//
//   node bench/gateway_bench.mjs [--requests N] [--warmup N]
//
// Prints, per concurrency: p50/p99 direct, through the gateway, and the
// difference (the latency the gateway adds; target p99 < 2 ms).
// Environment: TZSIGNER (default build/tzsigner).

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../tests/node/lib/etcd.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tzsigner = path.resolve(process.env.TZSIGNER ?? path.join(repo, 'build', 'tzsigner'));
const arg = (name, def) => {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? Number(process.argv[i + 1]) : def;
};
const REQUESTS = arg('requests', 2000);
const WARMUP = arg('warmup', 200);

function daemon(args) {
	const child = spawn(tzsigner, args, { stdio: ['ignore', 'ignore', 'pipe'] });
	return new Promise((resolve, reject) => {
		let err = '';
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (d) => {
			err += d;
			const m = /event=listening\b.*?\bport=(\d+)/.exec(err);
			if (m && !child.port) {
				child.port = Number(m[1]);
				err = '';
				resolve(child);
			}
			if (err.length > 100000) err = err.slice(-1000);
		});
		child.on('exit', (c) => reject(new Error(`${args[0]} exited ${c}: ${err}`)));
	});
}

// An attestation (magic 0x13, tag 21): chain(4) branch(32) tag slot level round payload_hash(32).
function attestation(chain, level) {
	const b = Buffer.alloc(80);
	b[0] = 0x13;
	chain.copy(b, 1);
	randomBytes(32).copy(b, 5);
	b[37] = 21;
	b.writeUInt16BE(1, 38);
	b.writeInt32BE(level, 40);
	b.writeInt32BE(0, 44);
	randomBytes(32).copy(b, 48);
	return b;
}

function post(agent, port, pkh, bytes) {
	const body = JSON.stringify(bytes.toString('hex'));
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/keys/${pkh}`, agent,
			headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
			res.resume();
			res.on('end', () => {
				if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
				else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
			});
		});
		req.on('error', reject);
		req.end(body);
	});
}

// The gateway's own account of its etcd decisions: {sum (s), count, trips (round trips)}.
function etcdTotals(port) {
	return new Promise((resolve, reject) => {
		http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
			let t = '';
			res.on('data', (d) => (t += d));
			res.on('end', () => {
				const v = (n) => Number(new RegExp(`^tzsigner_gateway_etcd_txn_seconds_${n} (\\S+)$`, 'm').exec(t)[1]);
				const trips = Number(/^tzsigner_gateway_etcd_round_trips_total (\S+)$/m.exec(t)[1]);
				resolve({ sum: v('sum'), count: v('count'), trips });
			});
		}).on('error', reject);
	});
}

// etcd alone, for comparison: the one txn the gateway makes when its
// cached record is current (compare mod_revision → put, failure → range),
// straight to one member's JSON gateway on a keep-alive connection.
async function etcdAlone(clientUrl, n) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const u = new URL(clientUrl);
	const call = (p, obj) => new Promise((resolve, reject) => {
		const body = JSON.stringify(obj);
		const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: p, agent,
			headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
			let t = '';
			res.on('data', (d) => (t += d));
			res.on('end', () => resolve(JSON.parse(t)));
		});
		req.on('error', reject);
		req.end(body);
	});
	const key = Buffer.from('/bench/alone').toString('base64');
	const lat = [];
	let rev = '0';
	for (let i = 0; i < n; i++) {
		const t0 = process.hrtime.bigint();
		const cmp = rev !== '0' ? { key, target: 'MOD', mod_revision: rev, result: 'EQUAL' } : { key, target: 'CREATE', create_revision: '0', result: 'EQUAL' };
		const w = await call('/v3/kv/txn', { compare: [cmp], success: [{ request_put: { key, value: Buffer.from(String(i)).toString('base64') } }],
			failure: [{ request_range: { key } }] });
		if (!w.succeeded) throw new Error('etcd alone: txn compare failed');
		rev = w.header.revision;
		if (i >= n / 10) lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	agent.destroy();
	return lat;
}

const pct = (xs, p) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function run(concurrency, ports, pkh) {
	const clients = Array.from({ length: concurrency }, () => ({
		chain: randomBytes(4),
		level: 1,
		agents: ports.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 })),
	}));
	const lat = ports.map(() => []);
	const per = Math.ceil((REQUESTS + WARMUP) / concurrency);
	const BLOCK = 50;
	for (let done = 0; done < per; done += BLOCK) {
		for (let t = 0; t < ports.length; t++) {
			await Promise.all(clients.map(async (c) => {
				for (let i = 0; i < BLOCK && done + i < per; i++) {
					const ms = await post(c.agents[t], ports[t], pkh, attestation(c.chain, c.level++));
					if ((done + i) * concurrency >= WARMUP) lat[t].push(ms);
				}
			}));
		}
	}
	clients.forEach((c) => c.agents.forEach((a) => a.destroy()));
	return lat;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tzsigner-gwbench-'));
chmodSync(dir, 0o700);
execFileSync(tzsigner, ['keys', 'gen', 'baker', '--type', 'tz1', '-d', dir]);
const pkh = execFileSync(tzsigner, ['keys', 'list', '-d', dir]).toString().split(' ')[1];
const cluster = await startEtcd({ members: 3 });
const box = await daemon(['serve', '-d', dir, '-a', '127.0.0.1', '-p', '0']);
const gw = await daemon(['gateway', '-a', '127.0.0.1', '-p', '0', '--box', `http://127.0.0.1:${box.port}`,
	'--etcd', cluster.endpoints]);
try {
	console.log(`gateway_bench: requests=${REQUESTS} warmup=${WARMUP} etcd_members=3 box=tz1 kind=attestation`);
	const alone = await etcdAlone(cluster.members[0].clientUrl, Math.max(200, REQUESTS / 2));
	console.log(`etcd_alone c=1 txn_p50_ms=${pct(alone, 50).toFixed(3)} txn_p99_ms=${pct(alone, 99).toFixed(3)}`);
	for (const c of [1, 8]) {
		// Each client's chain only ever rises, so every request through the gateway writes etcd.
		const before = await etcdTotals(gw.port);
		const [direct, viaGw] = await run(c, [box.port, gw.port], pkh);
		const after = await etcdTotals(gw.port);
		const etcdMean = (1e3 * (after.sum - before.sum)) / (after.count - before.count);
		const trips = (after.trips - before.trips) / (after.count - before.count);
		const f = (x) => x.toFixed(3);
		const d50 = pct(direct, 50), d99 = pct(direct, 99), g50 = pct(viaGw, 50), g99 = pct(viaGw, 99);
		console.log(`c=${c} direct_p50_ms=${f(d50)} direct_p99_ms=${f(d99)} gateway_p50_ms=${f(g50)} gateway_p99_ms=${f(g99)} ` +
			`added_p50_ms=${f(g50 - d50)} added_p99_ms=${f(g99 - d99)} etcd_decision_mean_ms=${f(etcdMean)} etcd_round_trips_per_request=${trips.toFixed(3)} target_added_p99_lt_2ms=${g99 - d99 < 2 ? 'met' : 'missed'}`);
	}
} finally {
	gw.kill('SIGTERM');
	box.kill('SIGTERM');
	await cluster.stop();
	rmSync(dir, { recursive: true, force: true });
}
