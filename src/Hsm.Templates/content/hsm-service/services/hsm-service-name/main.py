"""The hsm-service-name service: run by hsm in its own uv environment."""

if __name__ == "__main__":
    print("hsm-service-name is running")
