// Seed 003's echo client program:
//
//   s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//   s.connect((HOST, PORT)); s.send(str(val)); data = s.recv(256)
//   print('Received', repr(data)); s.close()
//
// Usage: echo_client HOST PORT [MESSAGE]

#include <cstdlib>
#include <iostream>
#include <usocket/usocket.hpp>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: echo_client HOST PORT [MESSAGE]\n";
        return 2;
    }
    const std::string message = argc > 3 ? argv[3] : "Hello, world";
    try {
        usocket::socket s(usocket::af_inet, usocket::sock_stream);
        s.settimeout(std::chrono::seconds(5));
        s.connect(argv[1], std::atoi(argv[2]));
        s.sendall(message);
        std::string data;
        // The server echoes in pieces of at most 256 bytes: read until all came back.
        while (data.size() < message.size()) {
            const std::string part = s.recv(256);
            if (part.empty()) break;
            data += part;
        }
        std::cout << "Received '" << data << "'" << std::endl;
        s.close();
        return data == message ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "echo_client: " << e.what() << '\n';
        return 1;
    }
}
