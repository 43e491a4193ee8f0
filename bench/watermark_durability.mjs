#!/usr/bin/env node
// bench/watermark_durability.mjs - does any signature wait for the disk?
//
// Every signer runs under bench/shim/fsync_delay.c (LD_PRELOAD), which makes
// each fsync cost FSYNC_DELAY_MS (20 ms, an SD card): a signature that waits
// for a watermark write shows as >= 20 ms. Release build, loopback, one
// keep-alive connection per key, the requests of one key one at a time.
//
//   rhythm   a baker's rhythm sped up: KEYS tz1 keys (4), a level every
//            LEVEL_MS (100 ms) per key, keys offset by LEVEL_MS/KEYS; at each
//            level a preattestation and an attestation, and every 4th level
//            (a different phase per key) a block first: blocks jump 4 levels.
//            DURATION_S (15) per mode; modes none, reserve, sync. The first
//            level of each key (new to the fresh base dir: nothing to reserve
//            from, it waits for one write) is reported apart.
//   restart  ROUNDS (10) times: start the signer on a base dir it stopped
//            cleanly on, time the first signature (the next level), two
//            more levels, then a block 5 levels above (a jump); stop cleanly.
//
//   node bench/watermark_durability.mjs [--duration S] [--rounds N] [--markdown]
//
// Environment: TZSIGNER (default build/tzsigner), FSYNC_SHIM (default
// build/bench/fsync_delay.so), FSYNC_DELAY_MS (20). Node standard library only.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync, openSync, readFileSync, closeSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tzsigner = path.resolve(process.env.TZSIGNER ?? path.join(repo, 'build', 'tzsigner'));
const shim = path.resolve(process.env.FSYNC_SHIM ?? path.join(repo, 'build', 'bench', 'fsync_delay.so'));
const DELAY_MS = Number(process.env.FSYNC_DELAY_MS ?? 20);
const arg = (name, def) => {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DURATION_S = arg('duration', 15);
const ROUNDS = arg('rounds', 10);
const KEYS = 4;
const LEVEL_MS = 100;
const MARKDOWN = process.argv.includes('--markdown');
const MODES = [
	{ name: 'none', args: ['--unsafe-no-high-watermark'] },
	{ name: 'reserve', args: ['--durability', 'reserve'] },
	{ name: 'sync', args: ['--durability', 'sync'] },
];

for (const f of [tzsigner, shim]) if (!existsSync(f)) die(`${f} is missing (make build/tzsigner build/bench/fsync_delay.so)`);
function die(msg) {
	console.error(`watermark_durability: ${msg}`);
	process.exit(1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tzsigner-wmdur-'));
chmodSync(tmp, 0o700);
const children = new Set();
process.on('exit', () => {
	for (const c of children) c.kill('SIGKILL');
	rmSync(tmp, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---- keys
const keyDir = path.join(tmp, 'keys');
const pkhs = [];
for (let i = 0; i < KEYS; i++) {
	const out = execFileSync(tzsigner, ['keys', 'gen', `k${i}`, '--type', 'tz1', '-d', keyDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	void out;
}
for (const line of execFileSync(tzsigner, ['keys', 'list', '-d', keyDir], { encoding: 'utf8' }).trim().split('\n')) {
	const pkh = line.trim().split(/\s+/)[1];
	if (/^tz1/.test(pkh ?? '')) pkhs.push(pkh);
}
if (pkhs.length !== KEYS) die(`keys list: ${pkhs.length} keys`);

function baseDir(name) {
	const dir = path.join(tmp, name);
	mkdirSync(dir, { mode: 0o700 });
	for (const f of ['secret_keys', 'public_keys', 'public_key_hashs']) {
		copyFileSync(path.join(keyDir, f), path.join(dir, f));
		chmodSync(path.join(dir, f), f === 'secret_keys' ? 0o600 : 0o644);
	}
	return dir;
}

async function start(dir, args, logName) {
	const logPath = path.join(tmp, `${logName}.log`);
	const log = openSync(logPath, 'w');
	const child = spawn(tzsigner, ['serve', '-d', dir, '-a', '127.0.0.1', '-p', '0', '--log-level', 'warn', ...args], {
		stdio: ['ignore', 'ignore', log],
		env: { ...process.env, LD_PRELOAD: shim, FSYNC_DELAY_MS: String(DELAY_MS) },
	});
	closeSync(log);
	children.add(child);
	// --log-level warn hides event=listening: find the port from /proc
	for (let i = 0; i < 600; i++) {
		const port = listeningPort(child.pid);
		if (port) return { child, port, logPath };
		if (child.exitCode !== null) die(`serve exited:\n${readFileSync(logPath, 'utf8')}`);
		await sleep(10);
	}
	die(`serve did not listen:\n${readFileSync(logPath, 'utf8')}`);
}

function listeningPort(pid) {
	let inodes;
	try {
		inodes = new Set(
			execFileSync('ls', ['-l', `/proc/${pid}/fd`], { encoding: 'utf8' })
				.split('\n')
				.map((l) => /socket:\[(\d+)\]/.exec(l)?.[1])
				.filter(Boolean),
		);
	} catch {
		return 0;
	}
	for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
		const f = line.trim().split(/\s+/);
		if (f[3] === '0A' && inodes.has(f[9])) return parseInt(f[1].split(':')[1], 16);
	}
	return 0;
}

async function stop(s) {
	s.child.kill('SIGTERM');
	await new Promise((r) => (s.child.exitCode !== null ? r() : s.child.on('exit', r)));
	children.delete(s.child);
	if (s.child.exitCode !== 0) die(`serve exited ${s.child.exitCode}:\n${readFileSync(s.logPath, 'utf8').slice(-2000)}`);
}

function connect(port) {
	return new Promise((resolve, reject) => {
		const sock = net.connect(port, '127.0.0.1', () => resolve(conn));
		sock.setNoDelay(true);
		let buf = Buffer.alloc(0);
		let waiting = null;
		const conn = {
			send: (text) => new Promise((res, rej) => ((waiting = { res, rej }), sock.write(text))),
			close: () => sock.destroy(),
		};
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			const end = buf.indexOf('\r\n\r\n');
			if (end < 0 || !waiting) return;
			const head = buf.subarray(0, end).toString('latin1');
			const total = end + 4 + Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
			if (buf.length < total) return;
			const body = buf.subarray(end + 4, total).toString('utf8');
			buf = buf.subarray(total);
			const w = waiting;
			waiting = null;
			w.res({ status: Number(head.split(' ')[1]), body });
		});
		sock.on('error', (e) => (waiting ? waiting.rej(e) : reject(e)));
	});
}

const chain = randomBytes(4);
const branch = randomBytes(32);
// consensus operation (octez: tag 20 preattestation, 21 attestation)
function consensus(magic, tag, level) {
	const b = Buffer.alloc(80);
	b[0] = magic;
	chain.copy(b, 1);
	branch.copy(b, 5);
	b[37] = tag;
	b.writeUInt16BE(level % 7000, 38);
	b.writeInt32BE(level, 40);
	b.writeInt32BE(0, 44);
	randomBytes(32).copy(b, 48);
	return b;
}
// A Tenderbake block header (magic 0x11), the layout of
// tests/node/lib/signer.mjs blockHeader(): chain, shell header (level, proto,
// predecessor, timestamp, validation passes, operations hash, fitness:
// version | level | locked round (none) | -1 - predecessor round | round,
// each length-prefixed; context), then payload hash, payload round, nonce,
// no seed nonce hash, per-block votes.
const i32 = (v) => {
	const b = Buffer.alloc(4);
	b.writeInt32BE(v);
	return b;
};
const lp = (b) => Buffer.concat([i32(b.length), b]);
function block(level) {
	const fitness = Buffer.concat([lp(Buffer.from([2])), lp(i32(level)), lp(Buffer.alloc(0)), lp(i32(-1)), lp(i32(0))]);
	const ts = Buffer.alloc(8);
	ts.writeBigInt64BE(1_700_000_000n + BigInt(level));
	return Buffer.concat([
		Buffer.from([0x11]), chain, i32(level), Buffer.from([1]), randomBytes(32), ts, Buffer.from([4]),
		randomBytes(32), i32(fitness.length), fitness, randomBytes(32),
		randomBytes(32), i32(0), randomBytes(8), Buffer.from([0]), Buffer.from([0]),
	]);
}

async function sign(conn, pkh, bytes) {
	const body = JSON.stringify(bytes.toString('hex'));
	const t0 = process.hrtime.bigint();
	const r = await conn.send(`POST /keys/${pkh} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	if (r.status !== 200) die(`${r.status} ${r.body}`);
	return ms;
}

// a counter of GET /metrics (0 when absent: --unsafe-no-high-watermark)
async function metric(conn, name) {
	const r = await conn.send('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
	const line = r.body.split('\n').find((l) => l.startsWith(`${name} `));
	return line ? Number(line.split(' ')[1]) : 0;
}

const pct = (l, p) => l[Math.min(l.length - 1, Math.floor((p / 100) * l.length))];
const stats = (l) => {
	const s = [...l].sort((a, b) => a - b);
	return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) };
};
const f = (v) => v.toFixed(2);

const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? 'unknown';
console.log(`watermark_durability machine nproc=${os.cpus().length} cpu="${cpu}" loadavg=${os.loadavg()[0].toFixed(2)} fsync_delay_ms=${DELAY_MS} tzsigner=${path.relative(repo, tzsigner)}`);

// ---- rhythm
const rhythm = {};
for (const mode of MODES) {
	const s = await start(baseDir(`rhythm-${mode.name}`), mode.args, `rhythm-${mode.name}`);
	const lat = { all: [], block: [], firstEver: [] };
	const until = Date.now() + DURATION_S * 1000;
	await Promise.all(
		pkhs.map(async (pkh, k) => {
			const conn = await connect(s.port);
			await sleep((k * LEVEL_MS) / KEYS);
			let next = Date.now();
			for (let level = 1000; Date.now() < until; level++) {
				// the very first level of a key on a fresh base dir waits for
				// its first write (nothing was known to reserve ahead): apart
				const l = level === 1000 ? { all: lat.firstEver, block: lat.firstEver } : lat;
				if (level % 4 === k) {
					const ms = await sign(conn, pkh, block(level));
					l.all.push(ms);
					l.block.push(ms);
				}
				l.all.push(await sign(conn, pkh, consensus(0x12, 20, level)));
				l.all.push(await sign(conn, pkh, consensus(0x13, 21, level)));
				next += LEVEL_MS;
				await sleep(Math.max(0, next - Date.now()));
			}
			conn.close();
		}),
	);
	const mc = await connect(s.port);
	const waits = await metric(mc, 'tzsigner_watermark_waits_total');
	mc.close();
	await stop(s);
	rhythm[mode.name] = { all: stats(lat.all), block: stats(lat.block), firstEver: stats(lat.firstEver), waits };
	const a = rhythm[mode.name].all;
	const b = rhythm[mode.name].block;
	console.log(`watermark_durability phase=rhythm mode=${mode.name} requests=${a.n} p50_ms=${f(a.p50)} p99_ms=${f(a.p99)} max_ms=${f(a.max)} blocks=${b.n} block_p50_ms=${f(b.p50)} block_p99_ms=${f(b.p99)} block_max_ms=${f(b.max)} first_level_of_a_new_key_max_ms=${f(rhythm[mode.name].firstEver.max)} waits_for_a_write=${rhythm[mode.name].waits}`);
}

// ---- restart: the first signature after a start, and a block after a jump
const restart = {};
for (const mode of MODES) {
	const dir = baseDir(`restart-${mode.name}`);
	const pkh = pkhs[0];
	const first = [];
	const jump = [];
	let waits = 0;
	let level = 100;
	for (let i = 0; i <= ROUNDS; i++) {
		const s = await start(dir, mode.args, `restart-${mode.name}-${i}`);
		const conn = await connect(s.port);
		const ms = await sign(conn, pkh, consensus(0x13, 21, ++level));
		for (let j = 0; j < 2; j++) await sign(conn, pkh, consensus(0x13, 21, ++level));
		level += 5;
		const bms = await sign(conn, pkh, block(level));
		if (i > 0) {
			// round 0 is the very first start (a new key: nothing to reserve from)
			first.push(ms);
			jump.push(bms);
			waits += await metric(conn, 'tzsigner_watermark_waits_total');
		}
		conn.close();
		await stop(s);
	}
	restart[mode.name] = { first: stats(first), jump: stats(jump), waits };
	const a = restart[mode.name].first;
	const b = restart[mode.name].jump;
	console.log(`watermark_durability phase=restart mode=${mode.name} rounds=${a.n} first_after_start_p50_ms=${f(a.p50)} first_after_start_max_ms=${f(a.max)} block_after_5_level_jump_p50_ms=${f(b.p50)} block_after_5_level_jump_max_ms=${f(b.max)} waits_for_a_write=${waits}`);
}

// the reserve signer waits only for the first level of each new key
const met = rhythm.reserve.all.p99 < 5 && rhythm.reserve.waits <= KEYS && restart.reserve.waits === 0;
console.log(`watermark_durability target reserve_rhythm_p99_below_5ms_and_no_wait_after_start_or_jump=${met ? 'met' : 'not_met'}`);

if (MARKDOWN) {
	console.log(`\n| mode | rhythm p50 ms | rhythm p99 ms | rhythm max ms | block p99 ms | rhythm waits for a write | first after start (median / max) ms | block after a 5-level jump (median / max) ms | restart waits for a write |`);
	console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
	for (const m of MODES) {
		const r = rhythm[m.name];
		const x = restart[m.name];
		console.log(`| \`${m.args.join(' ')}\` | ${f(r.all.p50)} | ${f(r.all.p99)} | ${f(r.all.max)} | ${f(r.block.p99)} | ${r.waits} | ${f(x.first.p50)} / ${f(x.first.max)} | ${f(x.jump.p50)} / ${f(x.jump.max)} | ${x.waits} |`);
	}
}
