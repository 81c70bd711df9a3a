"""A set of clients given by address, network or host name (a compose service's name), names
resolved again every RESOLVE_SECONDS, since a recreated container gets a new address."""

import ipaddress
import socket
import time

RESOLVE_SECONDS = 10


class Addresses:
    def __init__(self, names: str) -> None:
        self.names = names.replace(",", " ").split()
        self.resolved_at = -RESOLVE_SECONDS
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []

    def _networks(self) -> list:
        if time.monotonic() - self.resolved_at > RESOLVE_SECONDS:
            networks = []
            for name in self.names:
                try:
                    networks.append(ipaddress.ip_network(name, strict=False))
                except ValueError:
                    try:
                        found = {info[4][0] for info in socket.getaddrinfo(name, None)}
                    except OSError:
                        found = set()
                    networks += [ipaddress.ip_network(address) for address in found]
            self.networks, self.resolved_at = networks, time.monotonic()
        return self.networks

    def __contains__(self, client: str) -> bool:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in network for network in self._networks())
