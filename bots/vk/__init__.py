"""VK adapter (vkbottle 4): community events in, keyboards and notifications out."""
