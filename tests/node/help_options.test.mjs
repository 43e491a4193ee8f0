// Every `--help` describes every option its command accepts: for each
// getopt_long table (`static const struct option NAME[]`) in src/cmd/*.c,
// each long option has a line of its own in the command's --help
// (`  -x, --name …` or `      --name …`), not only a mention in the usage
// line. And `watermarks set --key` takes a key's name as well as its hash
// (issue 16: the help omitted most options, and --key took no name).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO, cli, genKey, makeBaseDir, removeTempDirs, runCli } from './lib/signer.mjs';

after(removeTempDirs);

// The command each source file's tables belong to (files without a table,
// or helpers of another command, are not listed).
const COMMAND = {
	'forwarder.c': ['forwarder'],
	'gateway.c': ['gateway'],
	'gateway_render.c': ['gateway', 'render'],
	'keys.c': ['keys'],
	'ledger.c': ['ledger'],
	'serve_options.c': ['serve'],
	'status.c': ['status'],
	'tunnel.c': ['tunnel'],
	'watermarks.c': ['watermarks'],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('every long option of every getopt table has a line in its command\'s --help', async () => {
	const dir = path.join(REPO, 'src', 'cmd');
	let checked = 0;
	const missing = [];
	for (const file of (await readdir(dir)).filter((f) => f.endsWith('.c')).sort()) {
		const src = await readFile(path.join(dir, file), 'utf8');
		const tables = [...src.matchAll(/static const struct option (\w+)\[\] = \{([\s\S]*?)\n\};/g)];
		if (tables.length === 0) continue;
		assert.ok(COMMAND[file], `src/cmd/${file} has an option table but this test does not know its command`);
		const r = await runCli([...COMMAND[file], '--help']);
		assert.equal(r.code, 0, `${COMMAND[file].join(' ')} --help exited ${r.code}: ${r.stderr}`);
		const help = r.stdout + r.stderr;
		for (const [, , body] of tables)
			for (const [, name] of body.matchAll(/\{ "([a-z0-9-]+)"/g)) {
				if (name === 'help') continue;
				checked++;
				if (!new RegExp(`^\\s+(-\\w, )?--${escape(name)}\\b`, 'm').test(help))
					missing.push(`${COMMAND[file].join(' ')} --${name} (src/cmd/${file})`);
			}
	}
	assert.ok(checked > 100, `only ${checked} options found: the table pattern no longer matches the sources`);
	assert.deepEqual(missing, [], `options without a line in their --help:\n${missing.join('\n')}`);
});

test('watermarks set --key takes a key name as well as its hash', async () => {
	const dir = await makeBaseDir('wm-key-name');
	const k = await genKey(dir, 'baker', 'tz1');
	const chain = 'NetXdQprcVkpaWU'; // mainnet
	const byName = await cli(['watermarks', 'set', '-d', dir, '--chain', chain, '--key', 'baker', '--kind', 'attestation',
		'--level', '120']);
	assert.match(byName.stdout, /level 120/);
	const list = await cli(['watermarks', 'list', '-d', dir]);
	const row = list.stdout.split('\n').find((l) => l.includes(k.pkh) && l.includes('attestation'));
	assert.ok(row, `watermarks list has no attestation row for ${k.pkh} (baker):\n${list.stdout}`);
	assert.match(row, /\b120\b/);
	const unknown = await runCli(['watermarks', 'set', '-d', dir, '--chain', chain, '--key', 'nobody', '--kind', 'block',
		'--level', '1']);
	assert.notEqual(unknown.code, 0);
	assert.match(unknown.stderr, /--key 'nobody' is neither a key hash .* nor the name of a key in /);
});
