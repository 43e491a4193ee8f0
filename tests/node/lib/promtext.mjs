// Parsing tzsigner's /metrics as Prometheus would: the npm package
// parse-prometheus-text-format (an independent parser, pinned in
// package.json), plus the rules of the text exposition format 0.0.4 that
// it does not enforce (it is lenient): metric and label name syntax, label
// escapes, one TYPE per family given before its samples, each family's
// lines together, no duplicate series, numeric values, histograms whose
// buckets are cumulative and end with le="+Inf" equal to _count.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const parsePrometheusTextFormat = require('parse-prometheus-text-format');

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s, where) {
	if (s === '+Inf' || s === 'Inf') return Infinity;
	if (s === '-Inf') return -Infinity;
	if (s === 'NaN') return NaN;
	assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `${where}: value '${s}' is not a float`);
	return Number(s);
}

// One sample line → {name, labels: {…}, value, key}
function parseSample(line, where) {
	let i = 0;
	while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
	const name = line.slice(0, i);
	assert.match(name, NAME, `${where}: metric name '${name}'`);
	const labels = {};
	if (line[i] === '{') {
		i++;
		for (;;) {
			if (line[i] === '}') {
				i++;
				break;
			}
			let j = i;
			while (j < line.length && line[j] !== '=') j++;
			const lname = line.slice(i, j);
			assert.match(lname, LABEL, `${where}: label name '${lname}'`);
			assert.equal(line[j + 1], '"', `${where}: label ${lname} value is not quoted`);
			let k = j + 2;
			let value = '';
			for (;;) {
				assert.ok(k < line.length, `${where}: unterminated label value`);
				const c = line[k];
				if (c === '\\') {
					const n = line[k + 1];
					assert.ok(n === '\\' || n === '"' || n === 'n', `${where}: bad escape \\${n}`);
					value += n === 'n' ? '\n' : n;
					k += 2;
				} else if (c === '"') {
					k++;
					break;
				} else {
					assert.notEqual(c, '\n', `${where}: newline in a label value`);
					value += c;
					k++;
				}
			}
			assert.ok(!(lname in labels), `${where}: label ${lname} twice`);
			labels[lname] = value;
			if (line[k] === ',') {
				k++;
				if (line[k] === '}') {
					i = k + 1;
					break;
				}
			} else {
				assert.equal(line[k], '}', `${where}: expected , or } after label ${lname}`);
			}
			i = k;
		}
	}
	assert.equal(line[i], ' ', `${where}: no space before the value`);
	const rest = line.slice(i + 1).split(' ');
	assert.ok(rest.length === 1 || rest.length === 2, `${where}: trailing fields`);
	const value = parseValue(rest[0], where);
	if (rest.length === 2) assert.match(rest[1], /^-?\d+$/, `${where}: timestamp`);
	const key = name + JSON.stringify(Object.keys(labels).sort().map((l) => [l, labels[l]]));
	return { name, labels, value, key };
}

// Validates the text; returns {families: Map(name → {type, help, samples}), samples: [...], parsed}
// where parsed is parse-prometheus-text-format's result.
export function parseMetrics(text) {
	assert.ok(text.length > 0, 'empty metrics text');
	assert.ok(text.endsWith('\n'), 'the metrics text does not end with a newline');
	const families = new Map();
	const samples = [];
	const closed = new Set();
	const seen = new Set();
	let current = null;
	const familyOf = (name) => {
		if (families.has(name) && families.get(name).type) return name;
		for (const suffix of ['_bucket', '_sum', '_count']) {
			if (name.endsWith(suffix)) {
				const base = name.slice(0, -suffix.length);
				const f = families.get(base);
				if (f && (f.type === 'histogram' || f.type === 'summary')) return base;
			}
		}
		return name;
	};
	const enter = (fam, where) => {
		if (current === fam) return;
		assert.ok(!closed.has(fam), `${where}: lines of ${fam} are not together`);
		if (current) closed.add(current);
		current = fam;
	};
	const lines = text.slice(0, -1).split('\n');
	lines.forEach((line, n) => {
		const where = `line ${n + 1} '${line.slice(0, 120)}'`;
		if (line === '') return;
		if (line.startsWith('#')) {
			const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
			if (!m) return; // a comment
			const [, what, name, rest] = m;
			assert.match(name, NAME, `${where}: metric name`);
			enter(name, where);
			const f = families.get(name) ?? { type: null, help: null, samples: [] };
			families.set(name, f);
			if (what === 'TYPE') {
				assert.ok(TYPES.has(rest), `${where}: type '${rest}'`);
				assert.equal(f.type, null, `${where}: second TYPE for ${name}`);
				assert.equal(f.samples.length, 0, `${where}: TYPE after samples of ${name}`);
				f.type = rest;
			} else {
				assert.equal(f.help, null, `${where}: second HELP for ${name}`);
				f.help = rest;
			}
			return;
		}
		const s = parseSample(line, where);
		const fam = familyOf(s.name);
		enter(fam, where);
		assert.ok(!seen.has(s.key), `${where}: duplicate series`);
		seen.add(s.key);
		const f = families.get(fam) ?? { type: null, help: null, samples: [] };
		families.set(fam, f);
		f.samples.push(s);
		samples.push(s);
		if (f.type === 'counter') assert.ok(s.value >= 0, `${where}: negative counter`);
		if (f.type === 'histogram' && s.name === `${fam}_bucket`) assert.ok('le' in s.labels, `${where}: bucket without le`);
	});
	for (const [name, f] of families) {
		if (f.type !== 'histogram') continue;
		const series = new Map();
		for (const s of f.samples) {
			const { le, ...rest } = s.labels;
			const id = JSON.stringify(Object.entries(rest).sort());
			const e = series.get(id) ?? { buckets: [], count: undefined };
			series.set(id, e);
			if (s.name.endsWith('_bucket')) e.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
			if (s.name.endsWith('_count')) e.count = s.value;
		}
		for (const [id, e] of series) {
			for (let i = 1; i < e.buckets.length; i++) {
				assert.ok(e.buckets[i][0] > e.buckets[i - 1][0], `${name}${id}: le not increasing`);
				assert.ok(e.buckets[i][1] >= e.buckets[i - 1][1], `${name}${id}: buckets not cumulative`);
			}
			const last = e.buckets.at(-1);
			assert.ok(last && last[0] === Infinity, `${name}${id}: no le="+Inf" bucket`);
			assert.equal(last[1], e.count, `${name}${id}: +Inf bucket differs from _count`);
		}
	}
	const parsed = parsePrometheusTextFormat(text);
	assert.ok(Array.isArray(parsed) && parsed.length > 0, 'parse-prometheus-text-format found no metric');
	return { families, samples, parsed };
}

// The value of one series: name and an exact label set ({} for none).
export function metricValue(m, name, labels = {}) {
	const want = JSON.stringify(Object.entries(labels).sort());
	const s = m.samples.find((x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want);
	return s ? s.value : undefined;
}

// Every series of a name: [{labels, value}].
export function metricSeries(m, name) {
	return m.samples.filter((x) => x.name === name).map((x) => ({ labels: x.labels, value: x.value }));
}

// The same value as the npm parser sees it (gauges and counters).
export function parsedValue(m, name, labels = {}) {
	const fam = m.parsed.find((f) => f.name === name);
	if (!fam) return undefined;
	const want = JSON.stringify(Object.entries(labels).sort());
	const s = fam.metrics.find((x) => JSON.stringify(Object.entries(x.labels ?? {}).sort()) === want);
	return s ? Number(s.value) : undefined;
}
