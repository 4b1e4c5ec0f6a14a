from sanbao_common.launcher import main

main("settlement", "settlement.service:SettlementService")
