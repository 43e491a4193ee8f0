// A real etcd cluster for the gateway's tests: Debian's etcd-server (3.4),
// N members on loopback, free ports, data under a temp dir, bounded waits.
// With tls: a CA, a server certificate for 127.0.0.1 and a client
// certificate made here with openssl; members require client certificates
// (--client-cert-auth) on the client port, peers talk plain HTTP.
//
//   const c = await startEtcd({ members: 3, tls: false });
//   c.endpoints            'http://127.0.0.1:P1,http://127.0.0.1:P2,…'
//   c.members[i].kill()    SIGKILL;  c.members[i].start()  again, same data
//   c.tlsFiles             {cacert, cert, key} when tls
//   await c.stop()

import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';

export const ETCD = process.env.ETCD ?? '/usr/bin/etcd';

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

function makeCerts(dir) {
	const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
	run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
		'-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=tzsigner test CA']);
	for (const [name, ext] of [
		['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth'],
		['client', 'extendedKeyUsage=clientAuth'],
	]) {
		run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
			'-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
		execFileSync('sh', ['-c', `printf '%b' "${ext.replace(/\n/g, '\\n')}" > ${name}.ext`], { cwd: dir });
		run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
			'-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
	}
	return {
		cacert: path.join(dir, 'ca.crt'),
		cert: path.join(dir, 'client.crt'),
		key: path.join(dir, 'client.key'),
		serverCert: path.join(dir, 'server.crt'),
		serverKey: path.join(dir, 'server.key'),
	};
}

// GET /health of one member: resolves true when it says healthy (has a
// leader and quorum), false otherwise (any error).
function health(url, tlsFiles, timeoutMs = 1000) {
	return new Promise((resolve) => {
		const mod = url.startsWith('https:') ? https : http;
		const opts = tlsFiles
			? { ca: readFileSync(tlsFiles.cacert), cert: readFileSync(tlsFiles.cert), key: readFileSync(tlsFiles.key) }
			: {};
		const req = mod.get(`${url}/health`, { ...opts, timeout: timeoutMs, agent: false }, (res) => {
			let body = '';
			res.on('data', (d) => (body += d));
			res.on('end', () => {
				try {
					resolve(res.statusCode === 200 && JSON.parse(body).health === 'true');
				} catch {
					resolve(false);
				}
			});
		});
		req.on('timeout', () => req.destroy());
		req.on('error', () => resolve(false));
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startEtcd({ members = 3, tls = false, timeoutMs = 30_000 } = {}) {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'tzsigner-etcd-'));
	const tlsFiles = tls ? makeCerts(dir) : null;
	const scheme = tls ? 'https' : 'http';
	const ms = [];
	for (let i = 0; i < members; i++) {
		ms.push({
			name: `m${i}`,
			clientPort: await freePort(),
			peerPort: await freePort(),
			dataDir: path.join(dir, `m${i}.etcd`),
		});
	}
	const initialCluster = ms.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
	for (const m of ms) {
		m.clientUrl = `${scheme}://127.0.0.1:${m.clientPort}`;
		m.log = '';
		m.args = [
			'--name', m.name, '--data-dir', m.dataDir,
			'--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
			'--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
			'--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
			'--initial-cluster', initialCluster, '--initial-cluster-state', 'new',
			'--initial-cluster-token', path.basename(dir),
			'--heartbeat-interval', '50', '--election-timeout', '500',
			'--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
		];
		if (tls)
			m.args.push('--cert-file', tlsFiles.serverCert, '--key-file', tlsFiles.serverKey,
				'--trusted-ca-file', tlsFiles.cacert, '--client-cert-auth');
		m.start = () => {
			m.proc = spawn(ETCD, m.args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: '' } });
			m.proc.stderr.setEncoding('utf8');
			m.proc.stderr.on('data', (d) => (m.log = (m.log + d).slice(-20000)));
			m.exited = new Promise((r) => m.proc.on('exit', r));
			m.alive = true;
		};
		m.kill = async (sig = 'SIGKILL') => {
			if (!m.alive) return;
			m.alive = false;
			m.proc.kill(sig);
			await m.exited;
		};
		m.healthy = () => health(m.clientUrl, tlsFiles);
	}
	for (const m of ms) m.start();
	const cluster = {
		dir,
		tlsFiles,
		members: ms,
		endpoints: ms.map((m) => m.clientUrl).join(','),
		// Waits until n members say healthy (bounded).
		waitHealthy: async (n = ms.length, limitMs = timeoutMs) => {
			const until = Date.now() + limitMs;
			for (;;) {
				const ok = (await Promise.all(ms.filter((m) => m.alive).map((m) => m.healthy()))).filter(Boolean).length;
				if (ok >= n) return;
				if (Date.now() > until)
					throw new Error(`etcd: ${ok} of ${n} members healthy after ${limitMs} ms\n${ms.map((m) => `${m.name}: ${m.log.slice(-1500)}`).join('\n')}`);
				await sleep(100);
			}
		},
		stop: async () => {
			for (const m of ms) await m.kill();
			await rm(dir, { recursive: true, force: true });
		},
		gatewayArgs: () => {
			const a = ['--etcd', cluster.endpoints];
			if (tlsFiles) a.push('--etcd-cacert', tlsFiles.cacert, '--etcd-cert', tlsFiles.cert, '--etcd-key', tlsFiles.key);
			return a;
		},
	};
	process.on('exit', () => ms.forEach((m) => m.alive && m.proc.kill('SIGKILL')));
	await cluster.waitHealthy();
	return cluster;
}
