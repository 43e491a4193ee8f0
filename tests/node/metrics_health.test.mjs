// Power and tunnel state in /metrics and /statusz, read from a test sysfs
// tree (--power-sysfs) and a tunnel state file written the way the tunnel
// writes it (--tunnel-state); a UPS HAT GPIO chip that is not there; every
// answer parsed as Prometheus text by an independent parser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { makeBaseDir, removeTempDirs, genKey, startSigner, request, assertStderrSoon } from './lib/signer.mjs';
import { parseMetrics, metricValue, parsedValue, metricSeries } from './lib/promtext.mjs';

let dir;
let signer;
let ps;
let stateFile;
let key;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Replaces a file atomically, as sysfs and the tunnel's durable write look to a reader.
async function put(file, text) {
	await mkdir(path.dirname(file), { recursive: true });
	await writeFile(`${file}.tmp`, text);
	await rename(`${file}.tmp`, file);
}

function tunnelState(state, { reconnects = 0, uplink = 'eth0', pid = process.pid, errorKind = null } = {}) {
	// the fields and shapes of src/tunnel/state.c
	return `${JSON.stringify({
		state, since: '2026-11-25T19:30:00Z', up_since: state === 'up' ? '2026-11-25T19:30:00Z' : null,
		reconnects, attempts: reconnects + 1, failures: 0, last_error: null, error_kind: errorKind,
		last_error_at: null, uplink, local: '10.0.0.2:40312', peer: '203.0.113.7:22', probe: 'off',
		signer: 'unknown', next_attempt: null, endpoint: 'tunnel.example.net:22', remote_port: 7001, pid, ssh_pid: null,
	})}\n`;
}

before(async () => {
	dir = await makeBaseDir('metrics-health');
	key = await genKey(dir, 'local', 'tz1');
	ps = path.join(dir, 'power_supply');
	await put(path.join(ps, 'AC', 'type'), 'Mains\n');
	await put(path.join(ps, 'AC', 'online'), '1\n');
	await put(path.join(ps, 'BAT0', 'type'), 'Battery\n');
	await put(path.join(ps, 'BAT0', 'capacity'), '87\n');
	await put(path.join(ps, 'BAT0', 'status'), 'Charging\n');
	stateFile = path.join(dir, 'tunnel-state.json');
	await put(stateFile, tunnelState('up', { reconnects: 3 }));
	signer = await startSigner(dir, [
		'--health-interval', '1',
		'--power-sysfs', ps,
		'--power-gpio', 'tzsigner-test-no-chip:6:active-low',
		'--tunnel-state', stateFile,
		'--uplink-primary', 'eth0',
		'--uplink-backup', 'wwan0,ppp0',
	]);
});

after(async () => {
	try {
		if (signer) await signer.stop();
	} finally {
		await removeTempDirs();
	}
});

async function metrics() {
	const r = await request(signer.port, 'GET', '/metrics');
	assert.equal(r.status, 200, r.text);
	return parseMetrics(r.text);
}

// Polls /metrics until want(m) holds (bounded).
async function waitMetrics(want, what, limitMs = 5000) {
	const t0 = Date.now();
	let m;
	for (;;) {
		m = await metrics();
		if (want(m)) return m;
		if (Date.now() - t0 > limitMs) {
			const lines = m.samples.filter((s) => /power|battery|tunnel|uplink/.test(s.name));
			assert.fail(`${what}: not within ${limitMs} ms\n${JSON.stringify(lines, null, 1).slice(0, 3000)}`);
		}
		await sleep(100);
	}
}

test('on mains with a charging battery, tunnel up over the main line', async () => {
	const m = await waitMetrics((x) => metricValue(x, 'tzsigner_power_on_mains') === 1 &&
		metricValue(x, 'tzsigner_tunnel_up') === 1, 'first read');
	assert.equal(metricValue(m, 'tzsigner_power_source', { source: 'mains' }), 1);
	assert.equal(metricValue(m, 'tzsigner_power_source', { source: 'battery' }), 0);
	assert.equal(parsedValue(m, 'tzsigner_battery_level_percent'), 87);
	assert.equal(metricValue(m, 'tzsigner_battery_capacity_percent', { supply: 'BAT0' }), 87);
	assert.equal(metricValue(m, 'tzsigner_battery_status', { supply: 'BAT0', status: 'charging' }), 1);
	assert.equal(metricValue(m, 'tzsigner_battery_status', { supply: 'BAT0', status: 'discharging' }), 0);
	assert.equal(metricValue(m, 'tzsigner_power_supply_online', { supply: 'AC' }), 1);
	assert.equal(metricValue(m, 'tzsigner_power_sysfs_up'), 1);
	// the GPIO chip is not there: said, and sysfs decides
	assert.equal(metricValue(m, 'tzsigner_power_gpio_up'), 0);
	await assertStderrSoon(signer, /event=power_gpio_failed msg="GPIO chip 'tzsigner-test-no-chip'/);
	// the tunnel, from its state file
	assert.equal(metricValue(m, 'tzsigner_tunnel_state_file_ok'), 1);
	assert.equal(metricValue(m, 'tzsigner_tunnel_state', { state: 'up' }), 1);
	assert.equal(metricValue(m, 'tzsigner_tunnel_state', { state: 'down' }), 0);
	assert.equal(metricValue(m, 'tzsigner_tunnel_reconnects_total'), 3);
	assert.equal(m.families.get('tzsigner_tunnel_reconnects_total').type, 'counter');
	assert.equal(metricValue(m, 'tzsigner_tunnel_process_alive'), 1);
	assert.equal(metricValue(m, 'tzsigner_tunnel_state_since_timestamp_seconds'), Date.parse('2026-11-25T19:30:00Z') / 1000);
	// no --uplink-endpoint: the uplink the tunnel reports, classified here
	assert.equal(metricValue(m, 'tzsigner_uplink_info', { interface: 'eth0', role: 'primary', source: 'tunnel' }), 1);
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'primary' }), 1);
	const s = await request(signer.port, 'GET', '/statusz');
	assert.equal(s.status, 200, s.text);
	assert.deepEqual(s.json.system.power, { source: 'mains', battery_percent: 87, battery_status: 'charging', gpio: s.json.system.power.gpio });
	assert.match(s.json.system.power.gpio, /tzsigner-test-no-chip/);
	assert.deepEqual(s.json.system.tunnel, { state: 'up', process_alive: true, reconnects: 3 });
	assert.deepEqual(s.json.system.uplink, { role: 'primary', source: 'tunnel', interface: 'eth0' });
});

test('the wall plug is pulled: battery, discharging, its level; the tunnel reconnects over 4G', async () => {
	await put(path.join(ps, 'AC', 'online'), '0\n');
	await put(path.join(ps, 'BAT0', 'status'), 'Discharging\n');
	await put(path.join(ps, 'BAT0', 'capacity'), '42\n');
	await put(stateFile, tunnelState('down', { reconnects: 3, uplink: 'eth0', errorKind: 'uplink_changed' }));
	let m = await waitMetrics((x) => metricValue(x, 'tzsigner_power_on_mains') === 0 &&
		metricValue(x, 'tzsigner_tunnel_state', { state: 'down' }) === 1, 'on battery, tunnel down');
	assert.equal(metricValue(m, 'tzsigner_power_source', { source: 'battery' }), 1);
	assert.equal(metricValue(m, 'tzsigner_battery_level_percent'), 42);
	assert.equal(metricValue(m, 'tzsigner_battery_status', { supply: 'BAT0', status: 'discharging' }), 1);
	assert.equal(metricValue(m, 'tzsigner_tunnel_up'), 0);
	assert.equal(
		metricValue(m, 'tzsigner_tunnel_info', { uplink: 'eth0', signer: 'unknown', probe: 'off', error_kind: 'uplink_changed' }),
		1,
	);
	await assertStderrSoon(signer, /level=warn fn=log_system_changes event=power source=battery battery_percent=42/);
	await put(stateFile, tunnelState('up', { reconnects: 4, uplink: 'wwan0' }));
	m = await waitMetrics((x) => metricValue(x, 'tzsigner_tunnel_reconnects_total') === 4, 'up again over wwan0');
	assert.equal(metricValue(m, 'tzsigner_uplink_info', { interface: 'wwan0', role: 'backup', source: 'tunnel' }), 1);
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'backup' }), 1);
	assert.equal(metricValue(m, 'tzsigner_uplink_role', { role: 'primary' }), 0);
	assert.ok(metricValue(m, 'tzsigner_uplink_changes_total') >= 1);
	// the signer signs whatever the power and the uplink
	const st = await request(signer.port, 'GET', `/statusz/${key.pkh}`);
	assert.equal(st.status, 200, st.text);
});

test('the tunnel process is gone: its last state is no longer "up"', async () => {
	await put(stateFile, tunnelState('up', { reconnects: 4, uplink: 'wwan0', pid: 4194000 }));
	const m = await waitMetrics((x) => metricValue(x, 'tzsigner_tunnel_process_alive') === 0, 'dead tunnel process');
	assert.equal(metricValue(m, 'tzsigner_tunnel_state', { state: 'up' }), 1);
	assert.equal(metricValue(m, 'tzsigner_tunnel_up'), 0);
});

test('malformed values are reported, not believed', async () => {
	await put(path.join(ps, 'BAT0', 'capacity'), 'lots\n');
	await put(stateFile, '{"state":"up","reconnects":-1}\n');
	const m = await waitMetrics((x) => metricValue(x, 'tzsigner_tunnel_state_file_ok') === 0 &&
		metricValue(x, 'tzsigner_power_supply_readable', { supply: 'BAT0' }) === 0, 'malformed');
	assert.equal(metricValue(m, 'tzsigner_battery_capacity_percent', { supply: 'BAT0' }), undefined);
	assert.ok(metricValue(m, 'tzsigner_tunnel_state_file_read_errors_total') >= 1);
	assert.equal(metricSeries(m, 'tzsigner_tunnel_state').length, 0, 'no tunnel state from a bad file');
	await assertStderrSoon(signer, /event=tunnel_state_unreadable msg=".*tunnel-state\.json: tunnel state: \\"reconnects\\" is not a non-negative integer"/);
	const s = await request(signer.port, 'GET', '/statusz');
	assert.equal(s.json.system.tunnel.state, 'unknown');
	await rm(stateFile);
	await waitMetrics((x) => metricValue(x, 'tzsigner_tunnel_state_file_ok') === 0 &&
		/No such file/.test(signer.stderr()), 'missing file');
	await put(stateFile, tunnelState('up', { reconnects: 5 }));
	await put(path.join(ps, 'BAT0', 'capacity'), '43\n');
	await waitMetrics((x) => metricValue(x, 'tzsigner_tunnel_reconnects_total') === 5 &&
		metricValue(x, 'tzsigner_battery_capacity_percent', { supply: 'BAT0' }) === 43, 'recovered');
});

test('serve refuses malformed health options, naming them', async () => {
	const { serveMustFail } = await import('./lib/signer.mjs');
	for (const [args, re] of [
		[['--power-gpio', 'gpiochip0'], /GPIO 'gpiochip0': expected CHIP:LINE/],
		[['--power-gpio', 'gpiochip0:6:low'], /'low' is not active-low or active-high/],
		[['--uplink-endpoint', 'host:99999'], /--uplink-endpoint: endpoint 'host:99999': port not 1 to 65535/],
		[['--uplink-backup', 'wwan0,bad name'], /'bad name' is not an interface name/],
		[['--health-interval', '0'], /--health-interval '0' is not 1 to 3600 seconds/],
		[['--status-port', 'x'], /--status-port 'x'/],
	]) {
		const r = await serveMustFail(dir, args);
		assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}`);
		assert.match(r.stderr, re, args.join(' '));
	}
});
