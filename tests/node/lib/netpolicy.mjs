// netpolicy.mjs - a NetworkPolicy evaluator for the tests of `forwarder
// render --k8s` (the semantics of networking.k8s.io/v1, matchLabels only).
import assert from 'node:assert/strict';

export function matches(selector, labels) {
	return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

// A NetworkPolicy evaluator (the semantics of networking.k8s.io/v1): may a
// pod (its namespace and labels) open a TCP connection to `port` of the
// forwarder pod? Policies add up; a pod no policy selects admits everything.
export function selects(sel, labels) {
	assert.ok(!sel.matchExpressions, 'this evaluator knows matchLabels only');
	return matches(sel.matchLabels ?? {}, labels);
}
export function peerAdmits(peer, policyNs, from) {
	if (peer.ipBlock) return false; // in-cluster pods are not matched by CIDR here
	const nsOk = peer.namespaceSelector
		? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': from.ns })
		: from.ns === policyNs;
	const podOk = peer.podSelector ? selects(peer.podSelector, from.labels) : true;
	return nsOk && podOk;
}
export function admitted(policies, target, port, from) {
	const applying = policies.filter(
		(p) => p.metadata.namespace === target.ns && selects(p.spec.podSelector, target.labels) &&
			(p.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
	);
	if (applying.length === 0) return true;
	return applying.some((p) =>
		(p.spec.ingress ?? []).some((rule) => {
			const portOk = !rule.ports || rule.ports.length === 0 ||
				rule.ports.some((rp) => (rp.protocol ?? 'TCP') === 'TCP' && (rp.port === undefined || rp.port === port));
			const fromOk = !rule.from || rule.from.length === 0 || rule.from.some((peer) => peerAdmits(peer, p.metadata.namespace, from));
			return portOk && fromOk;
		}),
	);
}
