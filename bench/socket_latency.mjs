// bench/socket_latency.mjs - one signature as octez's clients ask for it,
// through a relay that adds a delay each way (a stand-in for the tunnel's
// round trip), over the socket protocol and over HTTP.
//
//   node bench/socket_latency.mjs [DELAY_MS=10] [COUNT=200]
//
// The relay models an SSH remote forward (design §2.5): a new connection
// costs one round trip (the channel open and its confirmation) before its
// data flows, then every chunk takes DELAY_MS each way.
//
// What each client does per signature, from octez's source:
//  - socket (src/lib_signer_backends/unix/socket.ml, with_signer_operation):
//    one connection; Authorized_keys, then Sign on it.
//  - HTTP (src/lib_signer_backends/http_gen.ml, get_signature): GET
//    /authorized_keys, then POST /keys/<pkh>; octez's RPC client (cohttp)
//    opens a connection per call.
//  - HTTP keep-alive: the same two requests on one reused connection (a
//    client with a connection pool; not octez's), for reference.
// Each request signs a fresh attestation (level + 1), so every one is a new
// signature through the watermark, as a baker's are.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const delay = Number(process.argv[2] ?? 10);
const count = Number(process.argv[3] ?? 200);
const tzsigner = process.env.TZSIGNER ?? 'build/tzsigner';

function relay(targetPort) {
	const stats = { connections: 0 };
	const server = net.createServer((down) => {
		stats.connections++;
		down.setNoDelay(true);
		const opened = Date.now() + 2 * delay; // channel open + confirmation
		let up = null;
		const pending = [];
		const toUp = (chunk) => {
			const due = Math.max(Date.now(), opened) + delay;
			setTimeout(() => (up ? up.write(chunk) : pending.push(chunk)), due - Date.now());
		};
		down.on('data', toUp);
		setTimeout(() => {
			up = net.connect({ host: '127.0.0.1', port: targetPort }, () => {
				for (const c of pending.splice(0)) up.write(c);
			});
			up.setNoDelay(true);
			up.on('data', (chunk) => setTimeout(() => down.write(chunk), delay));
			up.on('end', () => setTimeout(() => down.end(), delay));
			up.on('error', () => down.destroy());
		}, 2 * delay);
		down.on('end', () => setTimeout(() => up && up.end(), delay));
		down.on('error', () => up && up.destroy());
	});
	return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: server.address().port, stats })));
}

function attestation(level) {
	const b = Buffer.alloc(80); // tag 21: slot, level, round, payload hash (design §2.2)
	b[0] = 0x13;
	b.writeUInt32BE(0x7a06a770, 1); // mainnet
	b[37] = 21; // attestation, slot at 38-39
	b.writeUInt32BE(level, 40);
	return b; // round 0, zero payload hash
}

function frame(p) {
	const h = Buffer.alloc(2);
	h.writeUInt16BE(p.length);
	return Buffer.concat([h, p]);
}

// The socket client: Authorized_keys (tag 2), then Sign (tag 0) of a tz1.
function socketSign(port, pkhBin, data) {
	return new Promise((resolve, reject) => {
		const s = net.connect({ host: '127.0.0.1', port });
		s.setNoDelay(true);
		let buf = Buffer.alloc(0);
		let step = 0;
		s.on('connect', () => s.write(frame(Buffer.from([2]))));
		s.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
			const reply = buf.subarray(2, 2 + buf.readUInt16BE(0));
			buf = buf.subarray(2 + reply.length);
			if (reply[0] !== 0) return reject(new Error(`socket error reply ${reply.toString('hex')}`));
			if (step++ === 0) {
				const len = Buffer.alloc(4);
				len.writeUInt32BE(data.length);
				s.write(frame(Buffer.concat([Buffer.from([0]), pkhBin, len, data])));
			} else {
				s.end();
				resolve(reply);
			}
		});
		s.on('error', reject);
	});
}

function httpCall(port, agent, method, p, body) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
			let t = '';
			res.on('data', (d) => (t += d));
			res.on('end', () => (res.statusCode === 200 ? resolve(t) : reject(new Error(`${res.statusCode} ${t}`))));
		});
		req.on('error', reject);
		req.end(body);
	});
}

async function httpSign(port, agent, pkh, data) {
	await httpCall(port, agent, 'GET', '/authorized_keys');
	return httpCall(port, agent, 'POST', `/keys/${pkh}`, JSON.stringify(data.toString('hex')));
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(name, r, fn) {
	const before = r.stats.connections;
	const times = [];
	for (let i = 0; i < count; i++) {
		const t0 = process.hrtime.bigint();
		await fn(i);
		times.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	const p50 = pct(times, 50);
	const rtt = 2 * delay;
	return { name, p50, p90: pct(times, 90), rtts: rtt ? p50 / rtt : NaN, conns: (r.stats.connections - before) / count };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tzsigner-socketbench-'));
chmodSync(dir, 0o700);
const gen = execFileSync(tzsigner, ['keys', 'gen', 'bench', '--type', 'tz1', '-d', dir], { encoding: 'utf8' });
const pkh = /tz1\w{33}/.exec(gen + execFileSync(tzsigner, ['keys', 'list', '-d', dir], { encoding: 'utf8' }))[0];
const serve = spawn(tzsigner, ['serve', '-d', dir, '-a', '127.0.0.1', '-p', '0', '--socket', 'tcp://127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const ports = await new Promise((resolve, reject) => {
	serve.stderr.on('data', (d) => {
		log += d;
		const h = /event=listening .*port=(\d+)/.exec(log);
		const s = /event=socket_listening socket=tcp:\/\/127\.0\.0\.1:(\d+)/.exec(log);
		if (h && s) resolve({ http: Number(h[1]), socket: Number(s[1]) });
	});
	serve.on('exit', (c) => reject(new Error(`serve exited ${c}: ${log}`)));
});
serve.stderr.removeAllListeners('data');
serve.stderr.resume(); // keep draining the audit lines
// The pkh in binary: tag 0 and blake2b-160, from the b58 text (base58check).
const ALPHA = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
let n = 0n;
for (const ch of pkh) n = n * 58n + BigInt(ALPHA.indexOf(ch));
const raw = Buffer.from(n.toString(16).padStart(54, '0'), 'hex'); // 3 prefix + 20 + 4 check
const pkhBin = Buffer.concat([Buffer.from([0]), raw.subarray(3, 23)]);

const rs = await relay(ports.socket);
const rh = await relay(ports.http);
let level = 1;
const fresh = new http.Agent({ keepAlive: false });
const pooled = new http.Agent({ keepAlive: true, maxSockets: 1 });
const results = [];
results.push(await measure('socket (octez socket client)', rs, () => socketSign(rs.port, pkhBin, attestation(level++))));
results.push(await measure('HTTP (octez http client: a connection per call)', rh, () => httpSign(rh.port, fresh, pkh, attestation(level++))));
results.push(await measure('HTTP keep-alive (reference)', rh, () => httpSign(rh.port, pooled, pkh, attestation(level++))));
console.log(`delay_each_way_ms=${delay} rtt_ms=${2 * delay} signatures=${count}`);
for (const r of results)
	console.log(`case="${r.name}" p50_ms=${r.p50.toFixed(2)} p90_ms=${r.p90.toFixed(2)} round_trips_per_signature=${r.rtts.toFixed(2)} connections_per_signature=${r.conns.toFixed(2)}`);
console.log(`ratio_http_over_socket_p50=${(results[1].p50 / results[0].p50).toFixed(2)}`);
pooled.destroy();
rs.server.close();
rh.server.close();
serve.kill('SIGTERM');
await new Promise((r) => serve.on('exit', r));
rmSync(dir, { recursive: true, force: true });
