#!/usr/bin/env node
// bench/watermark_bench.mjs - what high watermarks cost a signature.
//
// Starts three `tzsigner serve` (release build) on fresh base dirs holding the
// same tz1 key: --unsafe-no-high-watermark, --durability reserve and
// --durability sync. One keep-alive connection each, concurrency 1: sequential
// POST /keys/<tz1> of attestations at rising levels (one request per level,
// round 0), in blocks that rotate between the three signers so that all see
// the same machine conditions. Latency is measured around each request on a
// raw socket (no HTTP library in the client's path). The first WARMUP
// requests of each signer are not counted.
//
// Prints one key=value line per mode and a verdict on the target: steady-state
// p99 with reserve durability within 1.5x of the no-watermark p99.
//
//   node bench/watermark_bench.mjs [--requests N] [--warmup N] [--block N]
//                                  [--paced N] [--pace-ms MS] [--ahead N]… [--markdown]
//
// Two phases: back_to_back (the next level as soon as the last is answered:
// the target's measure) and paced (levels PACE_MS apart, 2 ms by default:
// real levels are seconds apart, so a background write finishes between
// two levels). --ahead N adds a signer with --reserve-ahead N.
//
// Environment: TZSIGNER (default build/tzsigner). Uses Node's standard
// library only (no npm packages).

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync, openSync, readFileSync, closeSync, copyFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tzsigner = path.resolve(process.env.TZSIGNER ?? path.join(repo, 'build', 'tzsigner'));

function arg(name, def) {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? Number(process.argv[i + 1]) : def;
}
const REQUESTS = arg('requests', 4000); // measured, per mode
const WARMUP = arg('warmup', 300); // per mode, not measured
const BLOCK = arg('block', 250); // requests per mode before rotating
const PACED = arg('paced', 1000); // measured per mode in the paced phase (0: none)
const PACE_MS = arg('pace-ms', 2);
const MARKDOWN = process.argv.includes('--markdown');

const MODES = [
	{ name: 'none', args: ['--unsafe-no-high-watermark'] },
	{ name: 'reserve', args: ['--durability', 'reserve'] },
	{ name: 'sync', args: ['--durability', 'sync'] },
];
// --ahead N (repeatable): also measure --durability reserve --reserve-ahead N
for (let i = 0; i < process.argv.length; i++)
	if (process.argv[i] === '--ahead')
		MODES.push({ name: `reserve_ahead_${process.argv[i + 1]}`, args: ['--durability', 'reserve', '--reserve-ahead', process.argv[i + 1]] });

if (!existsSync(tzsigner)) {
	console.error(`watermark_bench: ${tzsigner} is missing (make build/tzsigner)`);
	process.exit(1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tzsigner-wmbench-'));
chmodSync(tmp, 0o700);
const children = [];

function cleanup() {
	for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
	rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function die(msg) {
	console.error(`watermark_bench: ${msg}`);
	process.exit(1);
}

// ---- keys: one tz1, copied into each mode's base dir
const keyDir = path.join(tmp, 'keys');
execFileSync(tzsigner, ['keys', 'gen', 'bench', '--type', 'tz1', '-d', keyDir], { stdio: ['ignore', 'ignore', 'inherit'] });
const list = execFileSync(tzsigner, ['keys', 'list', '-d', keyDir], { encoding: 'utf8' });
const pkh = list.trim().split(/\s+/)[1];
if (!/^tz1/.test(pkh ?? '')) die(`keys list did not show a tz1: ${list}`);

async function startSigner(mode) {
	const dir = path.join(tmp, mode.name);
	execFileSync('mkdir', ['-m', '700', dir]);
	for (const f of ['secret_keys', 'public_keys', 'public_key_hashs']) {
		copyFileSync(path.join(keyDir, f), path.join(dir, f));
		chmodSync(path.join(dir, f), f === 'secret_keys' ? 0o600 : 0o644);
	}
	const logPath = path.join(tmp, `${mode.name}.log`);
	const log = openSync(logPath, 'w');
	const child = spawn(tzsigner, ['serve', '-d', dir, '-a', '127.0.0.1', '-p', '0', ...mode.args], {
		stdio: ['ignore', 'ignore', log],
	});
	closeSync(log);
	children.push(child);
	for (let i = 0; i < 300; i++) {
		const m = /event=listening .*\bport=(\d+)/.exec(readFileSync(logPath, 'utf8'));
		if (m) return { ...mode, child, port: Number(m[1]), logPath, level: 1, lat: [] };
		if (child.exitCode !== null) die(`${mode.name}: serve exited:\n${readFileSync(logPath, 'utf8')}`);
		await sleep(100);
	}
	die(`${mode.name}: serve did not listen within 30 s`);
}

// A keep-alive HTTP/1.1 connection that sends one request at a time.
function connect(port) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1', () => resolve(conn));
		sock.setNoDelay(true);
		let buf = Buffer.alloc(0);
		let waiting = null;
		const conn = {
			send(text) {
				return new Promise((res, rej) => {
					waiting = { res, rej };
					sock.write(text);
				});
			},
			close: () => sock.destroy(),
		};
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			const end = buf.indexOf('\r\n\r\n');
			if (end < 0 || !waiting) return;
			const head = buf.subarray(0, end).toString('latin1');
			const m = /content-length:\s*(\d+)/i.exec(head);
			if (!m) return waiting.rej(new Error(`no content-length: ${head}`));
			const total = end + 4 + Number(m[1]);
			if (buf.length < total) return;
			const status = Number(head.split(' ')[1]);
			const body = buf.subarray(end + 4, total).toString('utf8');
			buf = buf.subarray(total);
			const w = waiting;
			waiting = null;
			w.res({ status, body });
		});
		sock.on('error', (e) => (waiting ? waiting.rej(e) : reject(e)));
		sock.on('close', () => waiting && waiting.rej(new Error('connection closed')));
	});
}

const chain = randomBytes(4);
const branch = randomBytes(32);
// An attestation (tag 21): magic chain branch tag slot level round payload_hash
function attestation(level) {
	const b = Buffer.alloc(80);
	b[0] = 0x13;
	chain.copy(b, 1);
	branch.copy(b, 5);
	b[37] = 21;
	b.writeUInt16BE(level % 7000, 38);
	b.writeInt32BE(level, 40);
	b.writeInt32BE(0, 44);
	randomBytes(32).copy(b, 48);
	return b;
}

async function run(s, n, record, paceMs) {
	for (let i = 0; i < n; i++) {
		if (paceMs) await sleep(paceMs);
		const body = JSON.stringify(attestation(s.level++).toString('hex'));
		const req = `POST /keys/${pkh} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
		const t0 = process.hrtime.bigint();
		const r = await s.conn.send(req);
		const us = Number(process.hrtime.bigint() - t0) / 1000;
		if (r.status !== 200 || !r.body.includes('"signature"')) die(`${s.name}: ${r.status} ${r.body}`);
		if (record) s.lat.push(us);
	}
}

function pct(sorted, p) {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const signers = [];
for (const m of MODES) signers.push(await startSigner(m));
for (const s of signers) s.conn = await connect(s.port);

const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown';
console.log(`watermark_bench machine nproc=${os.cpus().length} cpu="${cpu}" kernel=${os.release()} loadavg=${os.loadavg()[0].toFixed(2)} tzsigner=${path.relative(repo, tzsigner)} tmpdir=${os.tmpdir()}`);
console.log(`watermark_bench setup concurrency=1 keepalive=1 key=tz1 op=attestation one_request_per_level=1 requests_per_mode=${REQUESTS} warmup_per_mode=${WARMUP} block=${BLOCK} paced_requests_per_mode=${PACED} pace_ms=${PACE_MS}`);

// One phase: every signer gets `requests` measured requests, in blocks that
// rotate between signers (and rotate their order), after `warmup` unmeasured.
async function phase(name, requests, warmup, paceMs) {
	for (const s of signers) {
		s.lat = [];
		await run(s, warmup, false, paceMs);
	}
	const t0 = Date.now();
	let k = 0;
	while (signers.some((s) => s.lat.length < requests)) {
		const order = signers.map((_, i) => signers[(i + k) % signers.length]);
		k++;
		for (const s of order) await run(s, Math.min(BLOCK, requests - s.lat.length), true, paceMs);
	}
	const seconds = (Date.now() - t0) / 1000;
	const results = {};
	for (const s of signers) {
		const l = [...s.lat].sort((a, b) => a - b);
		const mean = l.reduce((a, b) => a + b, 0) / l.length;
		results[s.name] = {
			requests: l.length,
			p50_us: pct(l, 50),
			p90_us: pct(l, 90),
			p99_us: pct(l, 99),
			p999_us: pct(l, 99.9),
			max_us: l.at(-1),
			mean_us: mean,
		};
		const f = (v) => (Number.isInteger(v) ? v : v.toFixed(v < 10 ? 2 : 0));
		console.log(`watermark_bench phase=${name} mode=${s.name} ${Object.entries(results[s.name]).map(([key, v]) => `${key}=${f(v)}`).join(' ')}`);
	}
	const ratio = (a, b, p) => results[a][p] / results[b][p];
	console.log(
		`watermark_bench phase=${name} p99_ratio reserve_over_none=${ratio('reserve', 'none', 'p99_us').toFixed(2)} sync_over_none=${ratio('sync', 'none', 'p99_us').toFixed(2)} ` +
			`p50_ratio reserve_over_none=${ratio('reserve', 'none', 'p50_us').toFixed(2)} sync_over_none=${ratio('sync', 'none', 'p50_us').toFixed(2)} seconds=${seconds.toFixed(1)}`,
	);
	return results;
}

// back to back: the next level is asked for as soon as the last is answered
const b2b = await phase('back_to_back', REQUESTS, WARMUP, 0);
// paced: levels PACE_MS apart (real levels are seconds apart), so a
// background write has time to finish between two levels
const paced = PACED > 0 ? await phase(`paced_${PACE_MS}ms`, PACED, 50, PACE_MS) : null;

// how many requests waited for a watermark write, and the window reached
for (const s of signers) {
	if (s.name === 'none') continue;
	const r = await s.conn.send('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
	const v = (name) => /^(\S+) (\d+)/m.exec(r.body.split('\n').filter((l) => l.startsWith(`${name} `)).join('\n'))?.[2];
	console.log(`watermark_bench mode=${s.name} waits_for_a_write=${v('tzsigner_watermark_waits_total')} writes=${v('tzsigner_watermark_writes_total')} window=${v('tzsigner_watermark_window')}`);
}

// the runs were real: each signer stops cleanly, and the sync signer's
// file holds the last level it signed
for (const s of signers) {
	s.conn.close();
	s.child.kill('SIGTERM');
	await new Promise((r) => s.child.on('exit', r));
	if (s.child.exitCode !== 0) die(`${s.name}: serve exited ${s.child.exitCode}\n${readFileSync(s.logPath, 'utf8').slice(-2000)}`);
}
const wm = JSON.parse(readFileSync(path.join(tmp, 'sync', 'tzsigner_high_watermarks.json'), 'utf8'));
if (!wm.watermarks.some((w) => w.pkh === pkh && w.level === signers.find((x) => x.name === 'sync').level - 1))
	die('sync: the watermark file does not hold the last level signed');

const verdict = (res) => (res.reserve.p99_us <= 1.5 * res.none.p99_us ? 'met' : 'not_met');
console.log(
	`watermark_bench target reserve_p99_within_1.5x_of_none back_to_back=${verdict(b2b)}` + (paced ? ` paced_${PACE_MS}ms=${verdict(paced)}` : ''),
);

if (MARKDOWN) {
	const r = (v) => Math.round(v);
	for (const [name, res] of [['back to back', b2b], [`paced ${PACE_MS} ms`, paced]]) {
		if (!res) continue;
		console.log(`\n${name}:\n\n| mode | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | p99 / none |`);
		console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
		for (const m of MODES) {
			const x = res[m.name];
			console.log(`| \`${m.args.join(' ')}\` | ${r(x.p50_us)} | ${r(x.p90_us)} | ${r(x.p99_us)} | ${r(x.p999_us)} | ${r(x.max_us)} | ${(x.p99_us / res.none.p99_us).toFixed(2)} |`);
		}
	}
}
