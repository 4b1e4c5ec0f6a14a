from sanbao_common.launcher import main

main("dispatch", "dispatch.service:DispatchService")
