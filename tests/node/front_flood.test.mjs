// The network front under a crowd (issue 14): 2,000 idle and 200 trickling
// connections cost the signer file descriptors, not its service; a trickled
// head is cut at its absolute deadline (10 s from its first byte, however
// many bytes keep coming); a full table sheds its oldest idle connection;
// URLs with a NUL or other control byte are refused. Timing is measured in
// `make bench`, not asserted here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { makeBaseDir, genKey, startSigner, postSign, request, consensusOp, randomChainId, TZSIGNER } from './lib/signer.mjs';

function open(port) {
	return new Promise((resolve, reject) => {
		const s = net.connect({ host: '127.0.0.1', port });
		s.closedByServer = false;
		s.on('close', () => (s.closedByServer = true));
		s.on('error', () => {});
		s.once('connect', () => resolve(s));
		s.once('error', reject);
	});
}

// One raw request on its own connection; resolves the status line's code.
// 0: closed (or reset) unanswered.
function rawStatus(port, text) {
	return new Promise((resolve) => {
		const s = net.connect({ host: '127.0.0.1', port }, () => s.write(text));
		let got = '';
		s.setEncoding('latin1');
		s.on('data', (d) => (got += d));
		s.on('error', () => {});
		s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
		s.setTimeout(10_000, () => s.destroy());
	});
}

async function metric(port, re) {
	const r = await request(port, 'GET', '/metrics');
	const m = re.exec(r.text);
	return m ? Number(m[1]) : NaN;
}

const until = async (cond, ms) => {
	for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
		if (cond()) return true;
	return cond();
};

let dir, key;
before(async () => {
	dir = await makeBaseDir('front');
	key = await genKey(dir, 'baker', 'tz1');
});

test('2,000 idle and 200 trickling connections: a baker still signs, the trickled heads are cut at their deadline', async () => {
	const s = await startSigner(dir, ['--max-connections', '4096']);
	const conns = [];
	try {
		for (let i = 0; i < 2000; i++) conns.push(await open(s.port));
		const head = `POST /keys/${key.pkh} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nX-Slow: ${'a'.repeat(64)}`;
		const tricklers = [];
		for (let i = 0; i < 200; i++) tricklers.push(await open(s.port));
		let at = 0;
		const timer = setInterval(() => {
			for (const t of tricklers) if (!t.closedByServer) t.write(head[at % head.length]);
			at++;
		}, 1000);
		try {
			const chainId = randomChainId();
			for (let level = 1; level <= 20; level++) {
				const r = await postSign(s.port, key.pkh, consensusOp({ magic: 0x13, tag: 21, chainId, level, round: 0 }));
				assert.equal(r.status, 200, r.text);
				assert.match(r.json.signature, /^sig|^edsig/);
			}
			// 10 s from each trickler's first byte, one byte a second: all cut.
			assert.ok(await until(() => tricklers.every((t) => t.closedByServer), 20_000), 'trickling connections still open');
			assert.ok(conns.every((c) => !c.closedByServer), 'idle connections were closed though the table had room');
			assert.ok((await metric(s.port, /tzsigner_front_deadline_expired_total\{state="head"\} (\d+)/)) >= 200);
			assert.ok((await metric(s.port, /tzsigner_front_connections\{state="idle"\} (\d+)/)) >= 2000);
		} finally {
			clearInterval(timer);
			for (const t of tricklers) t.destroy();
		}
	} finally {
		for (const c of conns) c.destroy();
		await s.stop();
	}
});

test('a full table sheds its oldest idle connection; with none idle a new one waits for a free slot', async () => {
	const s = await startSigner(dir, ['--max-connections', '4']);
	try {
		const idle = [];
		for (let i = 0; i < 4; i++) {
			idle.push(await open(s.port));
			await new Promise((r) => setTimeout(r, 50));
		}
		const r = await request(s.port, 'GET', `/keys/${key.pkh}`);
		assert.equal(r.status, 200, r.text);
		assert.ok(await until(() => idle[0].closedByServer, 5000), 'the oldest idle connection was not shed');
		assert.ok(!idle[3].closedByServer);
		assert.ok((await metric(s.port, /tzsigner_front_connections_shed_total (\d+)/)) >= 1);
		for (const c of idle) c.destroy();
		await new Promise((r) => setTimeout(r, 200));
		// Four requests in progress (a head started): nothing idle to shed.
		const busy = [];
		for (let i = 0; i < 4; i++) {
			const c = await open(s.port);
			c.write('GET /healthz HTTP/1.1\r\n');
			busy.push(c);
		}
		await new Promise((r) => setTimeout(r, 200));
		let answered = false;
		const fifth = rawStatus(s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').then(
			(st) => ((answered = true), st),
		);
		await new Promise((r) => setTimeout(r, 300));
		assert.equal(answered, false, 'a fifth connection was answered while four requests held the table');
		busy[0].destroy();
		assert.equal(await fifth, 200);
		for (const c of busy) c.destroy();
	} finally {
		await s.stop();
	}
});

test('a NUL or other control byte in the URL is refused (400), never routed', async () => {
	const s = await startSigner(dir);
	try {
		const op = consensusOp({ magic: 0x13, tag: 21, level: 5, round: 0 }).toString('hex');
		const body = JSON.stringify(op);
		for (const bad of ['%00/../../anything', '%00', '%01', '%0d%0a', '%7f', '%1f']) {
			const status = await rawStatus(
				s.port,
				`POST /keys/${key.pkh}${bad} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
			);
			assert.equal(status, 400, bad);
		}
		assert.equal(await rawStatus(s.port, `GET /keys/${key.pkh}\x01 HTTP/1.1\r\n\r\n`), 400);
		assert.equal(await rawStatus(s.port, `GET /keys/${key.pkh}?version=%00 HTTP/1.1\r\n\r\n`), 200);
		assert.equal(await rawStatus(s.port, `POST /keys/${key.pkh}?version=%00 HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`), 400);
		assert.equal(await metric(s.port, /tzsigner_sign_requests_total\{pkh="[^"]+",[^}]*outcome="signed"[^}]*\} (\d+)/) || 0, 0);
	} finally {
		await s.stop();
	}
});

test("serve passes its front's deadlines on: --idle-timeout 1 closes an idle connection, --head-timeout 1 cuts a trickled head; the defaults keep both", async () => {
	const closedWithin = (sock, ms) => until(() => sock.closedByServer, ms);
	const quick = await startSigner(dir, ['--idle-timeout', '1', '--head-timeout', '1']);
	const slow = await startSigner(await makeBaseDir('front-defaults'));
	try {
		const idle = await open(quick.port);
		const trickle = await open(quick.port);
		trickle.write('GET /keys/');
		const keep = await open(slow.port);
		keep.write('GET /keys/');
		// 1 s deadlines, checked by the front's scan: closed well within 5 s
		assert.ok(await closedWithin(idle, 5000), 'an idle connection outlived --idle-timeout 1');
		assert.ok(await closedWithin(trickle, 5000), 'a trickled head outlived --head-timeout 1');
		assert.equal(keep.closedByServer, false, 'the default head deadline (10 s) cut a head after 5 s');
		keep.destroy();
		// the options reach the front, not just serve's parser: it still signs
		assert.equal((await postSign(quick.port, key.pkh, consensusOp({ magic: 0x13, tag: 21, level: 7, round: 0 }))).status, 200);
	} finally {
		await quick.stop();
		await slow.stop();
	}
	const bad = spawnSync(TZSIGNER, ['serve', '-d', dir, '--write-timeout', '3601']);
	assert.equal(bad.status, 2);
	assert.match(bad.stderr.toString(), /--write-timeout '3601' is not 1 to 3600 seconds/);
});
