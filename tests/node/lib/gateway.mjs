// Helpers for the gateway's tests: start `tzsigner gateway` (and stop it,
// checking its exit and sanitizer report), boxes holding the same keys
// (each `tzsigner serve` on its own base dir), and a small TCP relay whose
// stop cuts a box's path.

import { spawn } from 'node:child_process';
import http from 'node:http';
import assert from 'node:assert/strict';
import { TZSIGNER, ENV, assertNoSanitizerReport, cloneBaseDir, startSigner } from './signer.mjs';

const running = new Set();
process.on('exit', () => running.forEach((c) => c.kill('SIGKILL')));

// Starts `tzsigner gateway -a 127.0.0.1 -p PORT ...args`; resolves when it
// logs event=listening: {port, url, pid, stderr(), kill(sig), stop(), restart()}.
// port 0 picks one; restart() starts it again on the same port.
export function startGateway(args, { port = 0, timeoutMs = 20_000 } = {}) {
	const argv = ['gateway', '-a', '127.0.0.1', '-p', String(port), ...args];
	const child = spawn(TZSIGNER, argv, { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
	running.add(child);
	let stderr = '';
	const exited = new Promise((r) => child.on('exit', (code, signal) => {
		running.delete(child);
		r({ code, signal });
	}));
	const closed = new Promise((r) => child.on('close', r));
	child.stderr.setEncoding('utf8');
	return new Promise((resolve, reject) => {
		let done = false;
		const timer = setTimeout(() => {
			if (done) return;
			done = true;
			child.kill('SIGKILL');
			reject(new Error(`tzsigner gateway did not listen within ${timeoutMs} ms\n${stderr}`));
		}, timeoutMs);
		child.stderr.on('data', (d) => {
			stderr += d;
			if (stderr.length > 4_000_000) stderr = stderr.slice(-2_000_000);
			const m = !done && /\bevent=listening\b.*?\bport=(\d+)/.exec(stderr);
			if (!m) return;
			done = true;
			clearTimeout(timer);
			const p = Number(m[1]);
			const h = {
				port: p,
				url: `http://127.0.0.1:${p}`,
				pid: child.pid,
				exited,
				stderr: () => stderr,
				kill: async (sig = 'SIGKILL') => {
					child.kill(sig);
					await exited;
					await closed;
				},
				stop: async () => {
					child.kill('SIGTERM');
					const res = await exited;
					await closed;
					assertNoSanitizerReport(stderr, 'tzsigner gateway');
					assert.equal(res.code, 0, `tzsigner gateway exited ${res.code} (${res.signal})\n${stderr.slice(-3000)}`);
				},
				restart: () => startGateway(args, { port: p, timeoutMs }),
			};
			resolve(h);
		});
		exited.then(async ({ code, signal }) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			await closed;
			reject(new Error(`tzsigner gateway exited (${code}, ${signal}) before listening\n${stderr}`));
		});
	});
}

// n boxes over copies of baseDir's keys, each `serve` with its own base dir
// (so its own watermark). Returns [{dir, signer}] with signer from startSigner.
export async function startBoxes(baseDir, n, extra = ['--allow-list-known-keys']) {
	const boxes = [];
	for (let i = 0; i < n; i++) {
		const dir = await cloneBaseDir(baseDir, `box${i}`);
		boxes.push({ dir, signer: await startSigner(dir, extra) });
	}
	return boxes;
}

// The path to a box: an HTTP relay 127.0.0.1:port → the box, which the
// gateway is given as the box's URL. It records every sign request that
// passes and the box's answer ({payload, status, signature}), so a test
// sees every signature that ever left a box, including those whose
// answer the gateway never got. stop() closes the listener and every
// connection (a cut path: refused from then on); start() listens again on
// the same port; retarget(port) follows a box restarted on another port.
export async function startBoxPath(targetPort, label) {
	const r = { targetPort, label, signed: [], server: null, port: 0, up: false };
	const handler = (req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const up = http.request(
				{ host: '127.0.0.1', port: r.targetPort, method: req.method, path: req.url, headers: req.headers, agent: false },
				(ur) => {
					const out = [];
					ur.on('data', (c) => out.push(c));
					ur.on('end', () => {
						const text = Buffer.concat(out);
						if (req.method === 'POST' && req.url.startsWith('/keys/')) {
							let sig;
							try {
								sig = JSON.parse(text).signature;
							} catch {
								sig = undefined;
							}
							r.signed.push({ box: label, pkh: req.url.slice(6).split('?')[0], payload: JSON.parse(body.toString()), status: ur.statusCode, signature: sig });
						}
						res.writeHead(ur.statusCode, ur.headers);
						res.end(text);
					});
					ur.on('error', () => res.destroy());
				},
			);
			up.on('error', () => res.destroy());
			up.end(body);
		});
	};
	const listen = (port) =>
		new Promise((resolve, reject) => {
			r.server = http.createServer(handler);
			r.server.keepAliveTimeout = 30_000;
			r.server.on('error', reject);
			r.server.listen(port, '127.0.0.1', () => {
				r.port = r.server.address().port;
				r.up = true;
				resolve();
			});
		});
	await listen(0);
	r.url = `http://127.0.0.1:${r.port}`;
	r.retarget = (p) => (r.targetPort = p);
	r.stop = async () => {
		if (!r.up) return;
		r.up = false;
		const closed = new Promise((res) => r.server.close(() => res()));
		r.server.closeAllConnections();
		await closed;
	};
	r.start = async () => {
		if (!r.up) await listen(r.port);
	};
	return r;
}
