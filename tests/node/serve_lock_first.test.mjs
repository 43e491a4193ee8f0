// `tzsigner serve` takes its base directory's lock before it asks for any
// passphrase (issue 16): a second signer on the same directory is refused,
// naming the holder's PID, before it prompts; and a signer waiting at its
// passphrase prompt already holds the directory, so another one is refused
// meanwhile. The prompt is a real terminal: serve runs under util-linux
// `script`, which gives it a pseudo-terminal (/dev/tty) and relays its
// input and output.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
	ENV, TZSIGNER, assertNoSanitizerReport, genKey, makeBaseDir, removeTempDirs, serveMustFail, startSigner,
	writePassFile,
} from './lib/signer.mjs';

after(removeTempDirs);

const PASS = 'correct horse battery staple';

// `serve -d dir -p 0` on a pseudo-terminal. Resolves helpers around it:
// output() (everything the terminal showed), waitFor(re, ms), type(text),
// exited (resolves {code, signal}).
function serveOnTerminal(dir) {
	const cmd = `exec ${TZSIGNER} serve -d ${dir} -a 127.0.0.1 -p 0`;
	const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
	let out = '';
	child.stdout.setEncoding('utf8');
	child.stderr.setEncoding('utf8');
	child.stdout.on('data', (d) => (out += d));
	child.stderr.on('data', (d) => (out += d));
	const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
	const waitFor = async (re, ms) => {
		for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 50)))
			if (re.test(out)) return true;
		return re.test(out);
	};
	return { child, exited, output: () => out, waitFor, type: (text) => child.stdin.write(text) };
}

async function fixture(label) {
	const dir = await makeBaseDir(label);
	const passFile = await writePassFile(await makeBaseDir(`${label}-pass`), PASS);
	await genKey(dir, 'plain', 'tz1');
	await genKey(dir, 'sealed', 'tz1', { encrypt: true, passFile });
	return { dir, passFile };
}

test('a second serve on a locked base directory is refused before it prompts, naming the holder', async () => {
	const f = await fixture('lock-first');
	const a = await startSigner(f.dir, ['-f', f.passFile]);
	try {
		const b = serveOnTerminal(f.dir);
		const done = await Promise.race([b.exited, new Promise((r) => setTimeout(() => r(null), 20_000))]);
		if (done === null) {
			b.child.kill('SIGKILL');
			assert.fail(`the second serve did not exit; its terminal shows:\n${b.output()}`);
		}
		assert.notEqual(done.code, 0, b.output());
		assert.match(b.output(), new RegExp(`locked by process ${a.pid}\\b.*kill ${a.pid}`), b.output());
		assert.doesNotMatch(b.output(), /Passphrase for key/, 'it asked for a passphrase before refusing');
		assertNoSanitizerReport(b.output(), 'the refused serve');
	} finally {
		await a.stop();
	}
});

test('a serve waiting at its passphrase prompt holds the directory: another serve is refused meanwhile', async () => {
	const f = await fixture('lock-prompt');
	const b = serveOnTerminal(f.dir);
	let pid = 0;
	try {
		assert.ok(await b.waitFor(/Passphrase for key 'sealed': /, 20_000), `no prompt; the terminal shows:\n${b.output()}`);
		const c = await serveMustFail(f.dir, ['-f', f.passFile]);
		const m = /locked by process (\d+)/.exec(c.stderr);
		assert.ok(m, c.stderr);
		pid = Number(m[1]);
		// the holder is the serve at the prompt
		assert.match(await readFile(`/proc/${pid}/cmdline`, 'utf8'), new RegExp(`serve\0-d\0${f.dir}\0`));
		b.type(`${PASS}\n`);
		assert.ok(await b.waitFor(/event=listening/, 20_000), `serve did not start after the passphrase:\n${b.output()}`);
		assert.match(b.output(), /event=key_loaded name=sealed .*storage=encrypted/);
	} finally {
		if (pid) process.kill(pid, 'SIGTERM');
		else b.child.kill('SIGKILL');
		const res = await b.exited;
		assert.equal(res.code, 0, `serve exited ${res.code} after SIGTERM:\n${b.output()}`);
		assertNoSanitizerReport(b.output(), 'serve on a terminal');
	}
});
