// What a baker looks at: `tzsigner status` (text and --json) and the status
// page, read from a running signer's status port after real signatures, the
// page loaded by a real browser (Debian's chromium, headless). The screenshot
// is left in the test log directory for a person to look at.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
	makeBaseDir,
	removeTempDirs,
	genKey,
	startSigner,
	sign,
	cli,
	runCli,
	request,
	consensusOp,
	blockHeader,
} from './lib/signer.mjs';
import { chromium, artefactDir } from './lib/browser.mjs';

after(removeTempDirs);

async function signerWithHistory() {
	const dir = await makeBaseDir('statuspage');
	const alpha = await genKey(dir, 'alpha', 'tz1');
	const beta = await genKey(dir, 'beta', 'tz3');
	const s = await startSigner(dir, ['--status-port', '0']);
	const m = /event=status_listening .*port=(\d+)/.exec(s.stderr());
	assert.ok(m, `no status_listening line: ${s.stderr()}`);
	s.statusPort = Number(m[1]);
	// Several levels per kind: the status shows the last of each.
	const chainId = Buffer.from('7a06a770', 'hex');
	await sign(s.port, alpha.pkh, consensusOp({ magic: 0x13, level: 4240, round: 0, chainId }));
	await sign(s.port, alpha.pkh, consensusOp({ magic: 0x12, level: 4241, round: 0, chainId }));
	await sign(s.port, alpha.pkh, consensusOp({ magic: 0x13, level: 4242, round: 1, chainId }));
	await sign(s.port, beta.pkh, blockHeader({ level: 776, round: 0, chainId }));
	await sign(s.port, beta.pkh, blockHeader({ level: 777, round: 2, chainId }));
	return { s, alpha, beta, dir };
}

test('tzsigner status: one screen, and --json is /statusz with the last signatures', async () => {
	const { s, alpha, beta } = await signerWithHistory();
	try {
		const url = `127.0.0.1:${s.statusPort}`;
		const t = await cli(['status', '--url', url]);
		assert.match(t.stdout, /all 2 keys can sign/, t.stdout);
		const line = (pkh) => t.stdout.split('\n').find((l) => l.includes(pkh)) ?? '';
		assert.match(line(alpha.pkh), /^alpha +tz1\S+ +yes +- +4241\/0 \d+ s ago +4242\/1 \d+ s ago +unencrypted$/, t.stdout);
		assert.match(line(beta.pkh), /^beta +tz3\S+ +yes +777\/2 \d+ s ago +- +- +unencrypted$/, t.stdout);

		const j = JSON.parse((await cli(['status', '--url', url, '--json'])).stdout);
		const direct = (await request(s.statusPort, 'GET', '/statusz')).json;
		assert.equal(j.version, direct.version);
		assert.match(j.version, /^\d+\.\d+\.\d+$/);
		const a = j.keys.find((k) => k.pkh === alpha.pkh);
		assert.deepEqual({ level: a.last_signed.attestation.level, round: a.last_signed.attestation.round }, { level: 4242, round: 1 });
		assert.equal(a.last_signed.block, null);
		assert.deepEqual({ level: a.last_signed.preattestation.level, round: a.last_signed.preattestation.round }, { level: 4241, round: 0 });
		assert.ok(a.last_signed.attestation.age_s >= 0 && a.last_signed.attestation.age_s < 60);
		assert.equal(a.latency.length, 1);
		assert.equal(a.latency.reduce((n, m) => n + m.count, 0), 3, 'three signatures in the latency minutes');
		const b = j.keys.find((k) => k.pkh === beta.pkh);
		assert.deepEqual({ level: b.last_signed.block.level, round: b.last_signed.block.round }, { level: 777, round: 2 });

		const down = await runCli(['status', '--url', '127.0.0.1:1']);
		assert.equal(down.code, 3, 'no signer: exit 3');
		assert.match(down.stderr, /cannot connect to 127\.0\.0\.1:1.*--status-port/);
	} finally {
		await s.stop();
	}
});

test('a reload (SIGHUP) keeps what the status shows of the keys it keeps; a key added shows nothing yet', async () => {
	const { s, alpha, beta, dir } = await signerWithHistory();
	try {
		const gamma = await genKey(dir, 'gamma', 'tz1');
		s.kill('SIGHUP');
		for (let i = 0; !/event=keys_reloaded /.test(s.stderr()); i++) {
			assert.ok(i < 200, `no event=keys_reloaded: ${s.stderr().slice(-2000)}`);
			await new Promise((r) => setTimeout(r, 25));
		}
		const j = JSON.parse((await cli(['status', '--url', `127.0.0.1:${s.statusPort}`, '--json'])).stdout);
		assert.equal(j.keys.length, 3);
		const last = (pkh, kind) => {
			const l = j.keys.find((k) => k.pkh === pkh).last_signed[kind];
			return l && `${l.level}/${l.round}`;
		};
		assert.equal(last(alpha.pkh, 'attestation'), '4242/1');
		assert.equal(last(alpha.pkh, 'preattestation'), '4241/0');
		assert.equal(last(beta.pkh, 'block'), '777/2');
		assert.equal(j.keys.find((k) => k.pkh === alpha.pkh).latency.reduce((n, m) => n + m.count, 0), 3);
		for (const kind of ['block', 'preattestation', 'attestation']) assert.equal(last(gamma.pkh, kind), null);
	} finally {
		await s.stop();
	}
});

test('the status page, in chromium: every key, what it last signed, a latency chart each', async () => {
	const { s, alpha, beta } = await signerWithHistory();
	try {
		const url = `http://127.0.0.1:${s.statusPort}/`;
		const page = await request(s.statusPort, 'GET', '/');
		assert.equal(page.status, 200);
		assert.match(page.headers['content-type'], /^text\/html/);
		assert.doesNotMatch(page.text, /(src|href)=["']?(https?:)?\/\//, 'the page loads something from elsewhere');
		assert.match(page.text, /<meta http-equiv="refresh" content="\d+">/);

		const dom = await chromium(url, ['--dump-dom']);
		assert.match(dom, /<div id="summary" class="banner ok">all 2 keys can sign<\/div>/);
		for (const [k, last] of [[alpha, '4242 / 1'], [beta, '777 / 2']]) {
			const row = new RegExp(`<tr class="key" data-pkh="${k.pkh}">(.*?)</tr>`).exec(dom);
			assert.ok(row, `the page has no row for ${k.name} (${k.pkh})`);
			assert.match(row[1], new RegExp(`<b>${k.name}</b>`));
			assert.match(row[1], /<span class="yes">yes<\/span>/);
			assert.ok(row[1].includes(last), `${k.name}: ${last} not shown: ${row[1]}`);
		}
		assert.equal((dom.match(/<svg /g) ?? []).length, 2, 'one latency chart per key');
		assert.match(dom, /<title>signing latency of alpha<\/title>/);

		const shot = path.join(await artefactDir(), 'status_page.png');
		await chromium(url, [`--screenshot=${shot}`]);
		assert.ok((await stat(shot)).size > 10_000, 'the screenshot is empty');
		console.log(`# screenshot: ${shot}`);
	} finally {
		await s.stop();
	}
});
