"""settlement: each month, the service revenue the HR company pays the cooperatives (county,
township and village: each village by its own people placed), the policy subsidies the
cooperatives and the HR company share by agreement, and the agents' rewards; statements,
receivables and distributions asked of the fund; the village cooperatives' books."""

__version__ = "0.1.0"
