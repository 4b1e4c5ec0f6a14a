from sanbao_common.launcher import main

main("fund", "fund.service:FundService")
