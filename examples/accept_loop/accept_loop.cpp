// Seed 002's TCP server:
//
//   sock = socket.socket(type=SOCK_STREAM); sock.bind(80); sock.listen()
//   while True:
//       client, addr = sock.accept(); client.sendall("Hello!"); client.close()
//
// Usage: accept_loop [PORT [CLIENTS]]   (port 0 = any free port; CLIENTS 0 = forever)
// bind(PORT) binds every local address, as the seed's bind(80) does.

#include <cstdlib>
#include <iostream>
#include <usocket/usocket.hpp>

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 0;
    const long clients = argc > 2 ? std::atol(argv[2]) : 0;
    try {
        usocket::socket sock(usocket::af_inet, usocket::sock_stream);
        sock.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1);
        sock.bind(port);
        sock.listen();
        std::cout << "listening on port " << sock.getsockname().port() << std::endl;
        for (long served = 0; clients == 0 || served < clients; ++served) {
            auto [client, addr] = sock.accept();
            client.sendall("Hello!");
            client.close();
            std::cout << "greeted " << addr << std::endl;
        }
    } catch (const std::exception& e) {
        std::cerr << "accept_loop: " << e.what() << '\n';
        return 1;
    }
}
