// Seed 003's echo server program:
//
//   s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//   s.bind((HOST, PORT)); s.listen(1); conn, addr = s.accept()
//   while True: data = conn.recv(256); if not data: break; conn.send(data)
//
// Usage: echo_server [HOST [PORT]]   (defaults: 127.0.0.1, port 0 = any free port)
// It prints the address it listens on, serves one client, and exits when the client is done.

#include <cstdlib>
#include <iostream>
#include <usocket/usocket.hpp>

int main(int argc, char** argv) {
    const char* host = argc > 1 ? argv[1] : "127.0.0.1";
    const int port = argc > 2 ? std::atoi(argv[2]) : 0;
    try {
        usocket::socket s(usocket::af_inet, usocket::sock_stream);
        s.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1);
        s.bind(host, port);
        s.listen(1);
        std::cout << "listening on " << s.getsockname() << std::endl;

        auto [conn, addr] = s.accept();
        std::cout << "Connected with " << addr.host() << ':' << addr.port() << std::endl;
        for (;;) {
            const std::string data = conn.recv(256);
            if (data.empty()) break;
            conn.sendall(data);  // send() may take only part of it
        }
        conn.close();
        s.close();
    } catch (const std::exception& e) {
        std::cerr << "echo_server: " << e.what() << '\n';
        return 1;
    }
}
