// Ledger benchmark: what tzsigner adds on top of the device's own time for
// one Ledger-backed signature, measured against tests/ledgersim (release
// builds). Run by hand: node tests/node/lib/ledger_bench.mjs [N]
//
// For each of N sequential attestations (keep-alive HTTP, one connection):
//   t0  the client starts POST /keys/<tz1>       (Node's monotonic clock)
//   t1  ledgersim receives the first sign APDU    (CLOCK_MONOTONIC, control "timing")
//   t2  ledgersim sends the last reply
//   t3  the client has the whole HTTP answer
// request → APDU sent = t1 − t0; APDU reply → HTTP reply = t3 − t2;
// device = t2 − t1 (the simulator's time, not a real Ledger's). Both
// overhead figures include the loopback hops and Node's HTTP client.

import http from 'node:http';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import { REPO, consensusOp } from './signer.mjs';
import { control, SPECULOS_DEVICE, CHAIN_MAIN, CHAIN_MAIN_BYTES } from './ledgersim.mjs';

const N = Number(process.argv[2] ?? 2000);
const TZ = process.env.TZSIGNER_REL ?? path.join(REPO, 'build', 'tzsigner');
const SIM = process.env.LEDGERSIM_REL ?? path.join(REPO, 'build', 'ledgersim');

function waitLine(child, re, stream) {
	return new Promise((resolve, reject) => {
		let buf = '';
		const t = setTimeout(() => reject(new Error(`no ${re} in ${buf}`)), 20000);
		child[stream].setEncoding('utf8');
		child[stream].on('data', (d) => {
			buf += d;
			const m = re.exec(buf);
			if (m) {
				clearTimeout(t);
				resolve(m);
			}
		});
	});
}

const pct = (xs, p) => {
	const s = xs.map(Number).sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const us = (ns) => (Number(ns) / 1000).toFixed(1);

const dir = mkdtempSync(path.join(os.tmpdir(), 'tzsigner-ledger-bench-'));
chmodSync(dir, 0o700);
const sim = spawn(SIM, ['--port', '0', '--control-port', '0', '--prompt-ms', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const [, apduPort, ctlPort] = (await waitLine(sim, /apdu_port=(\d+) control_port=(\d+)/, 'stdout')).map(Number);
const proxy = `127.0.0.1:${apduPort}`;
const uri = `ledger://${SPECULOS_DEVICE}/ed25519/0h/0h`;
execFileSync(TZ, ['keys', 'import', 'bench', uri, '--ledger-proxy', proxy, '-d', dir], { stdio: 'pipe' });
execFileSync(TZ, ['ledger', 'setup', uri, '--chain', CHAIN_MAIN, '--main-hwm', '0', '--ledger-proxy', proxy], { stdio: 'pipe' });
const pkh = execFileSync(TZ, ['keys', 'list', '-d', dir]).toString().split(' ')[1];
const srv = spawn(TZ, ['serve', '-d', dir, '-p', '0', '--ledger-proxy', proxy, '--log-level', 'debug'], { stdio: ['ignore', 'ignore', 'pipe'] });
const port = Number((await waitLine(srv, /event=listening.* port=(\d+)/, 'stderr'))[1]);
// tzsigner's own split of the backend's part (debug log of src/ledger/sign.c):
// before_us = waiting for the device lock; device_us = both APDUs as seen
// from tzsigner; after_us = hash check, signature verification.
let serveLog = '';
srv.stderr.on('data', (d) => (serveLog += d));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(body) {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		const req = http.request(
			{ host: '127.0.0.1', port, method: 'POST', path: `/keys/${pkh}`, agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } },
			(res) => {
				res.resume();
				res.on('end', () => resolve({ status: res.statusCode, t0, t3: process.hrtime.bigint() }));
			},
		);
		req.on('error', reject);
		req.end(body);
	});
}

const pre = [], post_ = [], device = [], total = [];
for (let i = 0; i < N + 100; i++) {
	const op = consensusOp({ magic: 0x13, tag: 21, chainId: CHAIN_MAIN_BYTES, level: 1000 + i, round: 0 });
	const r = await post(Buffer.from(JSON.stringify(op.toString('hex'))));
	if (r.status !== 200) throw new Error(`sign ${i}: HTTP ${r.status}`);
	const t = /first_rx_ns=(\d+) last_tx_ns=(\d+)/.exec(await control(ctlPort, 'timing'));
	const t1 = BigInt(t[1]), t2 = BigInt(t[2]);
	if (i < 100) continue; // warm-up
	pre.push(t1 - r.t0);
	post_.push(r.t3 - t2);
	device.push(t2 - t1);
	total.push(r.t3 - r.t0);
}
await new Promise((r) => setTimeout(r, 200));
srv.kill('SIGTERM');
sim.kill('SIGTERM');
agent.destroy();
rmSync(dir, { recursive: true, force: true });
const field = (re) => [...serveLog.matchAll(re)].slice(100).map((m) => BigInt(m[1]) * 1000n);
const inner = [
	['tzsigner_backend_before_apdu_us', field(/event=ledger_signed .*before_us=(\d+)/g)],
	['tzsigner_backend_apdus_us', field(/event=ledger_signed .*device_us=(\d+)/g)],
	['tzsigner_backend_after_apdu_us', field(/event=ledger_signed .*after_us=(\d+)/g)],
	['tzsigner_request_us', field(/event=signed .* us=(\d+)/g)],
];
for (const [name, xs] of [...inner, ['request_to_apdu_us', pre], ['apdu_reply_to_http_us', post_], ['simulator_us', device], ['total_us', total]])
	console.log(`ledger ${name} n=${xs.length} p50=${us(pct(xs, 50))} p90=${us(pct(xs, 90))} p99=${us(pct(xs, 99))}`);
