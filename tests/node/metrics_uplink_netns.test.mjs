// The uplink in /metrics, from a network namespace of our own with two
// links: eth0 (the main line, route metric 100) and wwan0 (4G, metric
// 700), both default routes, as NetworkManager sets them up. The signer
// runs inside the namespace with --uplink-endpoint and classifies the
// interface carrying the route to the endpoint; a route change wakes it at
// once (netlink), long before its next periodic check (30 s here).
// Needs root (ip netns); touches only its own namespace.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { makeBaseDir, removeTempDirs, genKey, TZSIGNER, ENV, assertNoSanitizerReport } from './lib/signer.mjs';
import { parseMetrics, metricValue, metricSeries } from './lib/promtext.mjs';

const run = promisify(execFile);
const NS = `tzs-health-${process.pid}`;
const ENDPOINT = '203.0.113.10';
let nsCreated = false;
let child;
let stderr = '';
let port;
let key;

const ip = (...args) => run('ip', ['-n', NS, ...args]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
	assert.equal(process.getuid(), 0, 'this test needs root for ip netns (the test suite runs as root)');
	await run('ip', ['netns', 'add', NS]);
	nsCreated = true;
	await ip('link', 'set', 'lo', 'up');
	for (const [dev, net] of [['eth0', '10.71.1'], ['wwan0', '10.71.2']]) {
		await ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`);
		await ip('addr', 'add', `${net}.2/24`, 'dev', dev);
		await ip('link', 'set', `${dev}p`, 'up');
		await ip('link', 'set', dev, 'up');
	}
	await ip('route', 'add', 'default', 'via', '10.71.1.1', 'dev', 'eth0', 'metric', '100');
	await ip('route', 'add', 'default', 'via', '10.71.2.1', 'dev', 'wwan0', 'metric', '700');
	const { stdout } = await ip('route', 'get', ENDPOINT);
	assert.match(stdout, /dev eth0/, `the namespace's route to the endpoint: ${stdout}`);

	const dir = await makeBaseDir('uplink-netns');
	key = await genKey(dir, 'local', 'tz1');
	child = spawn('ip', ['netns', 'exec', NS, TZSIGNER, 'serve', '-d', dir, '-a', '127.0.0.1', '-p', '0',
		'--health-interval', '30', '--power-sysfs', 'none',
		'--uplink-endpoint', `${ENDPOINT}:22`, '--uplink-primary', 'eth0', '--uplink-backup', 'wwan0'],
	{ env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
	child.stderr.setEncoding('utf8');
	child.stderr.on('data', (d) => (stderr += d));
	const t0 = Date.now();
	while (!(port = Number(/event=listening .*? port=(\d+)/.exec(stderr)?.[1]))) {
		assert.ok(child.exitCode === null, `serve exited: ${stderr}`);
		assert.ok(Date.now() - t0 < 30000, `serve did not listen: ${stderr}`);
		await sleep(50);
	}
});

after(async () => {
	try {
		if (child && child.exitCode === null) {
			const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
			child.kill('SIGTERM');
			let timer;
			const res = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r(null), 15000)))]);
			clearTimeout(timer);
			if (!res) child.kill('SIGKILL');
			assert.ok(res && res.code === 0, `serve in the namespace exited ${JSON.stringify(res)}\n${stderr.slice(-3000)}`);
			assertNoSanitizerReport(stderr, 'tzsigner serve (netns)');
		}
	} finally {
		if (nsCreated) await run('ip', ['netns', 'del', NS]);
		await removeTempDirs();
	}
});

async function get(path) {
	const { stdout } = await run('ip', ['netns', 'exec', NS, 'curl', '-s', '-S', '-m', '5', '-w', '\n%{http_code}',
		`http://127.0.0.1:${port}${path}`]);
	const i = stdout.lastIndexOf('\n');
	return { status: Number(stdout.slice(i + 1)), text: stdout.slice(0, i) };
}

async function metrics() {
	const r = await get('/metrics');
	assert.equal(r.status, 200, r.text);
	return parseMetrics(r.text);
}

// Waits for the uplink to be ifname/role; resolves {m, ms}.
async function waitUplink(ifname, role, limitMs = 3000) {
	const t0 = Date.now();
	for (;;) {
		const m = await metrics();
		const ok = ifname
			? metricValue(m, 'tzsigner_uplink_info', { interface: ifname, role, source: 'route' }) === 1
			: metricValue(m, 'tzsigner_uplink_role', { role: 'none' }) === 1;
		if (ok) return { m, ms: Date.now() - t0 };
		if (Date.now() - t0 > limitMs)
			assert.fail(`uplink not ${ifname}/${role} within ${limitMs} ms: ${JSON.stringify(metricSeries(m, 'tzsigner_uplink_info'))}`);
		await sleep(100);
	}
}

test('the main line carries the route: eth0, primary', async () => {
	const { m } = await waitUplink('eth0', 'primary');
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'primary' }), 1);
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'backup' }), 0);
	assert.equal(metricValue(m, 'tzsigner_uplink_changes_total'), 0);
	const s = await get('/statusz');
	assert.equal(s.status, 200, s.text);
	assert.deepEqual(JSON.parse(s.text).system.uplink, { role: 'primary', source: 'route', interface: 'eth0' });
});

test('the main line goes down: 4G (wwan0, backup) within a second or two, not at the next periodic check', async () => {
	await ip('link', 'set', 'eth0', 'down');
	const { m, ms } = await waitUplink('wwan0', 'backup');
	assert.ok(ms < 3000, `took ${ms} ms`);
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'backup' }), 1);
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'primary' }), 0);
	assert.equal(metricValue(m, 'tzsigner_uplink_changes_total'), 1);
	assert.match(stderr, /level=warn fn=log_system_changes event=uplink interface=wwan0 role=backup source=route/);
});

test('the main line comes back: eth0, primary again', async () => {
	await ip('link', 'set', 'eth0', 'up');
	await ip('route', 'replace', 'default', 'via', '10.71.1.1', 'dev', 'eth0', 'metric', '100');
	const { m } = await waitUplink('eth0', 'primary');
	assert.equal(metricValue(m, 'tzsigner_uplink_changes_total'), 2);
});

test('no route at all: role none, and /statusz says why', async () => {
	await ip('route', 'del', 'default', 'via', '10.71.2.1', 'dev', 'wwan0');
	await ip('link', 'set', 'eth0', 'down');
	const { m } = await waitUplink(null, null);
	assert.equal(metricSeries(m, 'tzsigner_uplink_info').length, 0);
	const s = JSON.parse((await get('/statusz')).text);
	assert.equal(s.system.uplink.role, 'none');
	assert.match(s.system.uplink.error, /no route to 203\.0\.113\.10/);
	assert.equal(s.can_sign, true, 'the keys still sign (the cloud just cannot reach them)');
	const k = await get(`/statusz/${key.pkh}`);
	assert.equal(k.status, 200);
});
