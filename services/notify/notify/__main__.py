from sanbao_common.launcher import main

main("notify", "notify.service:NotifyService")
