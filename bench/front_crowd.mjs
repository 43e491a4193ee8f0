// bench/front_crowd.mjs - a baker's sign latency while 2,000 idle and 200
// trickling (one byte a second) connections are open on the signer's API
// port (issue 14), against the same signer with no crowd; and the RSS and
// thread count of the key holder and the front.
//
//   TZSIGNER=build/tzsigner node bench/front_crowd.mjs [COUNT=500]
//
// One request per connection, as octez's RPC client does (cohttp opens a
// connection per call), each a fresh attestation (level + 1).
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { makeBaseDir, genKey, startSigner, postSign, consensusOp, randomChainId, removeTempDirs } from '../tests/node/lib/signer.mjs';

const count = Number(process.argv[2] ?? 500);
const open = (port) =>
	new Promise((resolve, reject) => {
		const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
		s.on('error', () => {});
		s.once('error', reject);
	});
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function procStats(pid) {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return { rss_kib: Number(/VmRSS:\s+(\d+)/.exec(status)[1]), threads: Number(/Threads:\s+(\d+)/.exec(status)[1]) };
}
function frontPid(parent) {
	for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
		try {
			const st = readFileSync(`/proc/${p}/stat`, 'utf8');
			const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
			if (ppid === parent && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('front')) return Number(p);
		} catch {}
	}
	return null;
}

async function run(s, pkh, label) {
	const chainId = randomChainId();
	const lat = [];
	for (let level = 1; level <= count; level++) {
		const t = process.hrtime.bigint();
		const r = await postSign(s.port, pkh, consensusOp({ magic: 0x13, tag: 21, chainId, level, round: 0 }));
		lat.push(Number(process.hrtime.bigint() - t) / 1e6);
		if (r.status !== 200) throw new Error(`${label}: ${r.status} ${r.text}`);
	}
	lat.sort((a, b) => a - b);
	console.log(`${label}: n=${count} p50=${pct(lat, 50).toFixed(3)}ms p99=${pct(lat, 99).toFixed(3)}ms max=${lat.at(-1).toFixed(3)}ms`);
}

const dir = await makeBaseDir('crowd');
const key = await genKey(dir, 'baker', 'tz1');
const s = await startSigner(dir, ['--max-connections', '4096', '--unsafe-no-high-watermark']);
try {
	await run(s, key.pkh, 'no crowd');
	const conns = [];
	for (let i = 0; i < 2000; i++) conns.push(await open(s.port));
	const tricklers = [];
	for (let i = 0; i < 200; i++) tricklers.push(await open(s.port));
	const head = `POST /keys/${key.pkh} HTTP/1.1\r\nHost: x\r\n`;
	let at = 0;
	const timer = setInterval(() => {
		for (const t of tricklers) if (!t.destroyed) t.write(head[at % head.length]);
		at++;
	}, 1000);
	await new Promise((r) => setTimeout(r, 3000));
	await run(s, key.pkh, '2,000 idle + 200 trickling');
	const fp = frontPid(s.pid);
	console.log(`key holder: ${JSON.stringify(procStats(s.pid))}${fp ? ` front: ${JSON.stringify(procStats(fp))}` : ''}`);
	clearInterval(timer);
	for (const c of [...conns, ...tricklers]) c.destroy();
} finally {
	await s.stop();
	await removeTempDirs();
}
