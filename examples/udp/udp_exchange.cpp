// The UDP exchange of seeds 001 and 004 (sendto / recvfrom), on loopback in one process:
// a server socket bound to port 0 answers each datagram with its text upper-cased; the
// client sends a few datagrams with sendto() and reads the answers with recvfrom().
//
// Usage: udp_exchange [MESSAGE...]

#include <cctype>
#include <iostream>
#include <string>
#include <thread>
#include <usocket/usocket.hpp>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string> messages(argv + 1, argv + argc);
    if (messages.empty()) messages = {"ping", "hello udp", "done"};
    try {
        usocket::socket server(usocket::af_inet, usocket::sock_dgram);
        server.bind("127.0.0.1", 0);
        server.settimeout(std::chrono::seconds(5));
        const usocket::address where = server.getsockname();
        std::cout << "server: bound to " << where << std::endl;

        std::thread answer([&] {
            for (std::size_t i = 0; i < messages.size(); ++i) {
                auto [data, from] = server.recvfrom(1500);
                for (auto& c : data) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                (void)server.sendto(data, from);  // a datagram goes whole or not at all
            }
        });

        usocket::socket client(usocket::af_inet, usocket::sock_dgram);
        client.settimeout(std::chrono::seconds(5));
        int failures = 0;
        for (const auto& m : messages) {
            (void)client.sendto(m, where);
            auto [reply, from] = client.recvfrom(1500);
            std::cout << "client: sent '" << m << "', received '" << reply << "' from " << from << std::endl;
            std::string expected = m;
            for (auto& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (reply != expected || from != where) ++failures;
        }
        answer.join();
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "udp_exchange: " << e.what() << '\n';
        return 1;
    }
}
