// The seeds' echo exchange in one process, on loopback: the server of seed 003 in a thread,
// the client in the main thread, each printing what it sent and received.
//
// Usage: echo_demo [MESSAGE...]

#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <usocket/usocket.hpp>
#include <vector>

namespace {
std::mutex out_mutex;
void say(const std::string& who, const std::string& what) {
    std::lock_guard lock(out_mutex);
    std::cout << who << ": " << what << std::endl;
}
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> messages(argv + 1, argv + argc);
    if (messages.empty()) messages = {"Hello from usocket", "a second line", "bye"};
    try {
        usocket::socket server(usocket::af_inet, usocket::sock_stream);
        server.bind("127.0.0.1", 0);  // port 0: the OS picks a free port
        server.listen(1);
        const usocket::address where = server.getsockname();
        say("server", "listening on " + where.to_string());

        std::thread server_thread([&server] {
            auto [conn, addr] = server.accept();
            say("server", "connected with " + addr.to_string());
            for (;;) {
                const std::string data = conn.recv(256);
                if (data.empty()) break;
                say("server", "echoing " + std::to_string(data.size()) + " bytes: '" + data + "'");
                conn.sendall(data);
            }
            say("server", "client closed the connection");
        });

        int failures = 0;
        {
            usocket::socket client(usocket::af_inet, usocket::sock_stream);
            client.settimeout(std::chrono::seconds(5));
            client.connect(where);
            for (const auto& m : messages) {
                say("client", "sent '" + m + "'");
                client.sendall(m);
                std::string back;
                while (back.size() < m.size()) {
                    const std::string part = client.recv(256);
                    if (part.empty()) break;
                    back += part;
                }
                say("client", "received '" + back + "'");
                if (back != m) ++failures;
            }
            client.shutdown(usocket::shut_wr);
        }
        server_thread.join();
        std::cout << (failures == 0 ? "echo demo: every message came back intact"
                                    : "echo demo: MISMATCH")
                  << std::endl;
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "echo_demo: " << e.what() << '\n';
        return 1;
    }
}
