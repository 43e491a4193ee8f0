// flood.mjs - connections that never finish the SSH handshake, for
// forwarder_flood.sh (not a test by itself: tests/run runs *.sh).
//
//   node flood.mjs HOST PORT CONNECTIONS SOURCES FIRST_SOURCE SECONDS STATS_FILE
//
// Keeps CONNECTIONS connections open to HOST:PORT, spread over SOURCES
// loopback source addresses starting at FIRST_SOURCE (127.0.0.2 → .2, .3,
// …). Half of them send an SSH identification string and then nothing,
// half send nothing at all; none ever answers the key exchange. A connection
// the endpoint closes is opened again after a second (an attacker keeps the
// pressure on), until SECONDS have passed. Only ever loopback addresses.
import net from "node:net";
import { writeFileSync } from "node:fs";

const [host, port, total, sources, first, seconds, statsFile] = process.argv.slice(2);
if (!statsFile || !host.startsWith("127.")) {
	console.error("usage: flood.mjs 127.x.y.z PORT CONNECTIONS SOURCES FIRST SECONDS STATS_FILE");
	process.exit(2);
}
const n = Number(total), m = Number(sources), base = Number(first);
const until = Date.now() + Number(seconds) * 1000;
const stats = { opened: 0, closedByServer: 0, errors: 0, peakOpen: 0, open: 0 };
const sockets = new Set();

function open(i) {
	if (Date.now() >= until) return;
	const localAddress = `127.0.0.${base + (i % m)}`;
	const s = net.connect({ host, port: Number(port), localAddress });
	let ended = false, connected = false;
	stats.opened++;
	sockets.add(s);
	s.on("connect", () => {
		connected = true;
		stats.open++;
		if (stats.open > stats.peakOpen) stats.peakOpen = stats.open;
		if (i % 2 === 0) s.write("SSH-2.0-flood_0.1\r\n");
	});
	s.on("data", () => {}); // the server's banner: read, never answered
	const again = (server) => {
		if (ended) return;
		ended = true;
		if (connected) stats.open--;
		if (server) stats.closedByServer++;
		else stats.errors++;
		sockets.delete(s);
		s.destroy();
		setTimeout(() => open(i), 1000);
	};
	s.on("end", () => again(true));
	s.on("close", () => again(true));
	s.on("error", () => again(false));
}

for (let i = 0; i < n; i++) open(i);
setTimeout(() => {
	for (const s of sockets) s.destroy();
	writeFileSync(statsFile, JSON.stringify(stats) + "\n");
	process.exit(0);
}, Number(seconds) * 1000 + 200);
