// Debian's chromium, headless, as a real browser for the status pages:
// the DOM after the page loaded (--dump-dom) and a screenshot.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

// Where a test leaves what a person should look at: tests/run's log dir.
export async function artefactDir() {
	const dir = process.env.TZ_TEST_LOGDIR ?? path.join(os.tmpdir(), 'tzsigner-test-artefacts');
	await mkdir(dir, { recursive: true });
	return dir;
}

function run(args, timeoutMs) {
	return new Promise((resolve, reject) => {
		execFile(CHROMIUM, args, { timeout: timeoutMs, maxBuffer: 32 << 20, killSignal: 'SIGKILL' },
			(err, stdout, stderr) => (err ? reject(new Error(`chromium ${args.at(-1)}: ${err.message}\n${stderr}`)) : resolve(stdout)));
	});
}

// One chromium run with a fresh profile; mode: ['--dump-dom'] or
// [`--screenshot=${file}`].
export async function chromium(url, mode, { width = 1280, height = 900, timeoutMs = 60_000 } = {}) {
	const profile = await mkdtemp(path.join(os.tmpdir(), 'tzs-chromium-'));
	try {
		return await run([
			'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			`--user-data-dir=${profile}`, `--window-size=${width},${height}`, ...mode, url,
		], timeoutMs);
	} finally {
		await rm(profile, { recursive: true, force: true });
	}
}
