// The small traps on the way to the first signature: a missing key directory
// is named as such (not a lock-file error, not an empty list), `tunnel -n`
// checks the identity ssh will use, and one-shot commands print their own
// message, not a daemon's retry lines.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeBaseDir, removeTempDirs, runCli, cli } from './lib/signer.mjs';

after(removeTempDirs);

test('keys list, keys show and serve on a missing directory say so', async () => {
	const missing = path.join(await makeBaseDir('parent'), 'nope');
	for (const args of [['keys', 'list'], ['keys', 'show', 'x'], ['serve', '-p', '0']]) {
		const r = await runCli([...args, '-d', missing], { timeoutMs: 20_000 });
		assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
		assert.ok(r.stderr.includes(`the key directory ${missing} does not exist`), r.stderr);
		assert.doesNotMatch(r.stderr, /lock file/);
	}
});

test('tunnel -n refuses an identity that is missing or readable by others', async () => {
	const dir = await makeBaseDir('tunnelcheck');
	const id = path.join(dir, 'id_ed25519');
	const base = ['tunnel', '-n', '--endpoint', 'endpoint.example:22', '--remote-port', '7001',
		'--host-key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', '--identity', id];
	const none = await runCli(base);
	assert.notEqual(none.code, 0, `tunnel -n passed without the identity: ${none.stdout}`);
	assert.ok(none.stderr.includes(`identity ${id}: No such file or directory`), none.stderr);
	assert.match(none.stderr, /tzsigner tunnel keygen --identity/);
	await cli(['tunnel', 'keygen', '--identity', id, '--remote-port', '7001', '--name', 'box']);
	const ok = await cli(base);
	assert.match(ok.stdout, /^OK endpoint=endpoint\.example:22 remote_port=7001 /);
	await chmod(id, 0o644);
	const open = await runCli(base);
	assert.notEqual(open.code, 0, 'tunnel -n passed with a private key readable by others');
	assert.match(open.stderr, /mode 0644: ssh refuses a private key others can read/);
	await writeFile(id, '');
});

test('one-shot ledger commands print their failure once, without retry lines', async () => {
	const r = await runCli(['ledger', 'list', '--ledger-proxy', '127.0.0.1:1']);
	assert.notEqual(r.code, 0);
	assert.match(r.stdout + r.stderr, /127\.0\.0\.1:1: connect .*Connection refused/);
	assert.doesNotMatch(r.stdout + r.stderr, /retry_ms=|event=ledger_down/, r.stderr);
});
