// bench/front_crowd.mjs - a baker's sign latency while 2,000 idle and 200
// trickling (one byte a second) connections are open on the signer's API
// port (issue 14), against the same signer with no crowd; and the RSS and
// thread count of the key holder and the front.
//
//   TZSIGNER=build/tzsigner node bench/front_crowd.mjs [COUNT=500]
//
// One request per connection, as octez's RPC client does (cohttp opens a
// connection per call), each a fresh attestation (level + 1), sent and
// timed by build/bench/sign_latency (SIGN_LATENCY).
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';
import { makeBaseDir, genKey, startSigner, postSign, consensusOp, randomChainId, removeTempDirs } from '../tests/node/lib/signer.mjs';

const count = Number(process.argv[2] ?? 500);
const execFileP = promisify(execFile);
const latencyTool = process.env.SIGN_LATENCY ?? 'build/bench/sign_latency';
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

// The baker's requests come from build/bench/sign_latency (C), so that the
// figure is the signer's and not Node's: one connection per request,
// connect to the whole answer.
async function run(s, pkh, label) {
	const { stdout } = await execFileP(latencyTool, [String(s.port), pkh, String(count)]);
	const m = /n=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+) max_ms=([\d.]+) failed=(\d+)/.exec(stdout);
	if (!m || m[5] !== '0') throw new Error(`${label}: ${stdout}`);
	console.log(`${label}: n=${m[1]} p50=${m[2]}ms p99=${m[3]}ms max=${m[4]}ms`);
}

const dir = await makeBaseDir('crowd');
const key = await genKey(dir, 'baker', 'tz1');
// With the watermarks (the default reserve mode): every request is a new
// level, the store's worst case. CROWD_NO_WATERMARK=1 leaves them out.
const noWatermark = process.env.CROWD_NO_WATERMARK ? ['--unsafe-no-high-watermark'] : [];
const s = await startSigner(dir, ['--max-connections', '4096', ...noWatermark]);
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
